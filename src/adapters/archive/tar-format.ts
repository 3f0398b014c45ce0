// The bytes of a POSIX tar (ustar headers, PAX extended headers for what ustar cannot hold):
// encoding the headers Slipway writes and decoding any header it reads. No I/O here.

export const BLOCK = 512;
/** Largest size a ustar header can hold (11 octal digits); larger files carry a PAX `size`. */
export const USTAR_MAX_SIZE = 0o77777777777;
/** Name of the PAX header entries Slipway writes (fixed, so output stays deterministic). */
export const PAX_HEADER_NAME = 'PaxHeaders/entry';
/** Largest PAX header Slipway will read; real ones are a few hundred bytes. */
export const MAX_PAX_SIZE = 1 << 20;

/**
 * One character: '0' file, '1' hard link, '2' symlink, '3'/'4' char/block device, '5' directory,
 * '6' fifo, '7' contiguous file, 'x' PAX header, 'g' PAX global header; anything else is unknown.
 */
export type TypeFlag = string;

export interface HeaderFields {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: TypeFlag;
  linkname?: string;
}

/**
 * One ustar header block. uid/gid are 0 and uname/gname empty: the archive must not depend on
 * who built it. Names must already fit (ASCII, ≤ 100 bytes); `entryHeaders` arranges that.
 */
export function encodeHeader(h: HeaderFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  writeString(b, 0, 100, h.name);
  writeOctal(b, 100, 8, h.mode);
  writeOctal(b, 108, 8, 0);
  writeOctal(b, 116, 8, 0);
  writeOctal(b, 124, 12, h.size);
  writeOctal(b, 136, 12, h.mtime);
  b.write(h.typeflag, 156, 1, 'ascii');
  writeString(b, 157, 100, h.linkname ?? '');
  b.write('ustar\u000000', 257, 8, 'ascii');
  writeOctal(b, 329, 8, 0);
  writeOctal(b, 337, 8, 0);
  // The checksum is computed with its own field read as eight spaces.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return b;
}

/**
 * The header blocks for one entry: a PAX header (with its padded records) when the name or link
 * target is long or not plain ASCII, or the size too large for ustar; then the ustar header.
 */
export function entryHeaders(h: HeaderFields): Buffer[] {
  const records: [string, string][] = [];
  if (needsPax(h.name)) records.push(['path', h.name]);
  if (h.linkname !== undefined && needsPax(h.linkname)) records.push(['linkpath', h.linkname]);
  if (h.size > USTAR_MAX_SIZE) records.push(['size', String(h.size)]);
  const ustar = encodeHeader({
    ...h,
    name: fallbackName(h.name),
    linkname: h.linkname === undefined ? undefined : fallbackName(h.linkname),
    size: h.size > USTAR_MAX_SIZE ? 0 : h.size,
  });
  if (records.length === 0) return [ustar];
  const body = encodePaxRecords(records);
  const pax = encodeHeader({ name: PAX_HEADER_NAME, mode: 0o644, size: body.length, mtime: h.mtime, typeflag: 'x' });
  return [pax, padToBlock(body), ustar];
}

const needsPax = (s: string): boolean => Buffer.byteLength(s, 'utf8') > 100 || /[^\x20-\x7e]/.test(s);

/** What ustar-only readers see when the real name is in a PAX record. */
function fallbackName(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
}

/** PAX records `"<len> <key>=<value>\n"`, where `<len>` counts the whole record, itself included. */
export function encodePaxRecords(records: [string, string][]): Buffer {
  return Buffer.concat(
    records.map(([key, value]) => {
      const rest = Buffer.byteLength(` ${key}=${value}\n`, 'utf8');
      let len = rest + String(rest).length;
      if (String(len).length + rest !== len) len = rest + String(len).length;
      return Buffer.from(`${len} ${key}=${value}\n`, 'utf8');
    }),
  );
}

/** Parses PAX records; returns an error message for anything malformed. */
export function decodePaxRecords(buf: Buffer): Map<string, string> | string {
  const out = new Map<string, string>();
  let at = 0;
  while (at < buf.length) {
    if (buf[at] === 0) break; // NUL padding after the last record
    const space = buf.indexOf(0x20, at);
    if (space < 0 || space - at > 10) return 'PAX record without a length';
    const lenText = buf.toString('ascii', at, space);
    if (!/^[1-9][0-9]*$/.test(lenText)) return `PAX record length "${lenText}" is not a number`;
    const len = Number(lenText);
    if (at + len > buf.length || buf[at + len - 1] !== 0x0a) return 'PAX record overruns its header';
    const record = buf.toString('utf8', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) return 'PAX record without "key="';
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

export interface DecodedHeader {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: TypeFlag;
  linkname: string;
}

export type HeaderBlock = { kind: 'end' } | { kind: 'header'; header: DecodedHeader } | { kind: 'bad'; message: string };

/** Decodes one header block: `end` for an all-zero block, `bad` with a message when malformed. */
export function decodeHeader(b: Buffer): HeaderBlock {
  const bad = (message: string): HeaderBlock => ({ kind: 'bad', message });
  if (b.length !== BLOCK) return bad('short header block');
  if (b.every((x) => x === 0)) return { kind: 'end' };
  const stored = readOctal(b, 148, 8);
  if (stored === null) return bad('header checksum is not an octal number');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const x = i >= 148 && i < 156 ? 0x20 : (b[i] as number);
    unsigned += x;
    signed += x > 127 ? x - 256 : x;
  }
  if (stored !== unsigned && stored !== signed) return bad('header checksum mismatch');
  const magic = b.toString('ascii', 257, 263);
  if (magic !== 'ustar\u0000' && magic !== 'ustar ') return bad('not a ustar header (bad magic)');
  const mode = readOctal(b, 100, 8);
  const size = readOctal(b, 124, 12);
  const mtime = readOctal(b, 136, 12);
  if (mode === null || size === null || mtime === null) return bad('header has a malformed number (mode, size or mtime)');
  let name = readString(b, 0, 100);
  const prefix = magic === 'ustar\u0000' ? readString(b, 345, 155) : '';
  if (prefix !== '') name = `${prefix}/${name}`;
  const typeflag = b[156] === 0 ? '0' : String.fromCharCode(b[156] as number);
  return { kind: 'header', header: { name, mode, size, mtime, typeflag, linkname: readString(b, 157, 100) } };
}

/** Zero bytes that complete `size` bytes to a whole block. */
export function paddingFor(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function padToBlock(buf: Buffer): Buffer {
  return Buffer.concat([buf, Buffer.alloc(paddingFor(buf.length))]);
}

function writeString(b: Buffer, at: number, width: number, s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > width) throw new RangeError(`tar field of ${width} bytes cannot hold "${s}"`);
  bytes.copy(b, at);
}

function writeOctal(b: Buffer, at: number, width: number, n: number): void {
  const digits = n.toString(8);
  if (digits.length > width - 1) throw new RangeError(`tar field of ${width} bytes cannot hold ${n}`);
  b.write(`${digits.padStart(width - 1, '0')}\u0000`, at, width, 'ascii');
}

function readString(b: Buffer, at: number, width: number): string {
  const field = b.subarray(at, at + width);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? width : end);
}

function readOctal(b: Buffer, at: number, width: number): number | null {
  const text = b.toString('ascii', at, at + width).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return null;
  return parseInt(text, 8);
}
