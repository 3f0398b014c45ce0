// A small streaming reader of tar archives (ustar, PAX and GNU long names), so that the built
// artifact can be scanned without unpacking it. It reads from any stream of bytes; decompression
// and files are the caller's business. Malformed archives raise an error naming the byte offset.

const BLOCK = 512;
const MAX_META = 1 << 20; // PAX and GNU long-name payloads larger than this are not plausible

export interface TarEntry {
  path: string;
  kind: 'file' | 'directory' | 'link' | 'other';
  size: number;
  /** The file's bytes, when the caller asked for them. */
  content?: Buffer;
}

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(`at byte ${offset}: ${message}`);
  }
}

/** Pulls exact byte counts out of an async stream of chunks. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  offset = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer | Uint8Array | string>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done === true) this.done = true;
      else {
        const b = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
        this.chunks.push(b);
        this.buffered += b.length;
      }
    }
    return this.buffered >= n;
  }

  /** Exactly n bytes, or undefined at a clean end of stream before any byte. */
  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) {
      if (this.buffered === 0) return undefined;
      throw new TarFormatError(this.offset + this.buffered, `archive ends in the middle of a block (wanted ${n} bytes)`);
    }
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.offset += n;
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const step = Math.min(left, 1 << 20);
      if ((await this.take(step)) === undefined) throw new TarFormatError(this.offset, 'archive ends inside an entry');
      left -= step;
    }
  }
}

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

function cString(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function octal(b: Buffer, start: number, len: number, what: string, at: number): number {
  const first = b[start] as number;
  if (first & 0x80) {
    // GNU base-256 for sizes beyond 8 GiB.
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + (b[i] as number);
    return v;
  }
  const s = cString(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(at, `${what} field is not an octal number (${JSON.stringify(s)})`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer, at: number): boolean {
  const stored = octal(h, 148, 8, 'checksum', at);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
  return sum === stored;
}

function paxRecords(data: Buffer, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    const len = space === -1 ? NaN : Number(data.subarray(i, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) throw new TarFormatError(at, 'malformed PAX record');
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

/**
 * Yields the entries of a tar stream in order. `wantContent(path, size)` decides whose bytes are
 * read into memory; the others are skipped. Throws TarFormatError on a malformed archive.
 */
export async function* readTarEntries(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  wantContent: (path: string, size: number) => boolean,
): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source[Symbol.asyncIterator]());
  let longName: string | undefined;
  let pax: Map<string, string> | undefined;
  const global = new Map<string, string>();
  for (;;) {
    const at = r.offset;
    const h = await r.take(BLOCK);
    if (h === undefined) throw new TarFormatError(at, 'archive ends without the end-of-archive marker (truncated?)');
    if (h.every((b) => b === 0)) return;
    if (!checksumOk(h, at)) throw new TarFormatError(at, 'header checksum mismatch');
    const type = String.fromCharCode(h[156] as number);
    let size = octal(h, 124, 12, 'size', at);
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (size > MAX_META) throw new TarFormatError(at, `${size}-byte metadata entry is too large`);
      const data = await r.take(size + padding(size));
      if (data === undefined) throw new TarFormatError(r.offset, 'archive ends inside a metadata entry');
      const payload = data.subarray(0, size);
      if (type === 'x') pax = paxRecords(payload, at);
      else if (type === 'g') for (const [k, v] of paxRecords(payload, at)) global.set(k, v);
      else if (type === 'L') longName = cString(payload, 0, payload.length);
      continue;
    }
    // POSIX ustar ("ustar\0") has a name prefix at 345; old GNU ("ustar  ") keeps times there.
    const prefix = h.subarray(257, 263).toString('latin1') === 'ustar\0' ? cString(h, 345, 155) : '';
    let path = cString(h, 0, 100);
    if (prefix !== '') path = `${prefix}/${path}`;
    if (longName !== undefined) path = longName;
    const paxPath = pax?.get('path') ?? global.get('path');
    if (paxPath !== undefined) path = paxPath;
    const paxSize = pax?.get('size');
    if (paxSize !== undefined) {
      size = Number(paxSize);
      if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError(at, `PAX size ${JSON.stringify(paxSize)} is not a size`);
    }
    longName = undefined;
    pax = undefined;
    const kind: TarEntry['kind'] =
      type === '0' || type === '\0' || type === '7' ? 'file' : type === '5' ? 'directory' : type === '1' || type === '2' ? 'link' : 'other';
    // Links, directories and devices carry no data even if a size is written.
    const dataSize = kind === 'file' ? size : type === '1' || type === '2' || type === '5' ? 0 : size;
    if (kind === 'file' && wantContent(path, size)) {
      const content = size === 0 ? Buffer.alloc(0) : await r.take(size);
      if (content === undefined) throw new TarFormatError(r.offset, `archive ends inside ${path}`);
      await r.skip(padding(size));
      yield { path, kind, size, content: Buffer.from(content) };
    } else {
      await r.skip(dataSize + padding(dataSize));
      yield { path, kind, size };
    }
  }
}
