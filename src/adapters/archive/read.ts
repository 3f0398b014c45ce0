// Reads a tar file entry by entry with positioned reads, so that listing skips file contents and
// extraction streams them; every malformed header becomes a `corrupt` error naming where it is.

import { open, type FileHandle } from 'node:fs/promises';
import { SlipwayError } from '../../core/errors.js';
import { BLOCK, MAX_PAX_SIZE, decodeHeader, decodePaxRecords, paddingFor, type TypeFlag } from './tar-format.js';

/** One entry as found in the archive, PAX records applied; the name is not yet checked. */
export interface RawEntry {
  name: string;
  typeflag: TypeFlag;
  mode: number;
  size: number;
  linkname: string;
  /** Byte offset of the entry's data in the file. */
  dataOffset: number;
}

/**
 * Walks the archive at `file`, calling `visit` for each entry in order; `visit` may read the
 * entry's data through `readData`. Throws `SlipwayError('corrupt')` on a malformed or truncated
 * archive.
 */
export async function walkArchive(
  file: string,
  visit: (entry: RawEntry, readData: (onChunk: (chunk: Buffer) => Promise<void> | void) => Promise<void>) => Promise<void>,
): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new SlipwayError('not_found', `cannot open archive ${file}: ${(e as Error).message}`);
  }
  try {
    const fileSize = (await fh.stat()).size;
    const reader = new WindowReader(fh, fileSize);
    const corrupt = (at: number, what: string): SlipwayError =>
      new SlipwayError('corrupt', `archive ${file} is corrupt at byte ${at}: ${what}`, 'rebuild the artifact or restore it from a backup');
    let at = 0;
    let pax: Map<string, string> | undefined;
    for (;;) {
      if (at + BLOCK > fileSize) throw corrupt(at, 'ends without the end-of-archive marker (truncated?)');
      const block = await reader.read(at, BLOCK);
      const decoded = decodeHeader(block);
      if (decoded.kind === 'end') return;
      if (decoded.kind === 'bad') throw corrupt(at, decoded.message);
      const h = decoded.header;
      const dataOffset = at + BLOCK;
      if (h.typeflag === 'x') {
        if (pax !== undefined) throw corrupt(at, 'two PAX headers in a row');
        if (h.size > MAX_PAX_SIZE) throw corrupt(at, `PAX header of ${h.size} bytes is too large`);
        if (dataOffset + h.size > fileSize) throw corrupt(at, 'PAX header runs past the end of the file');
        const records = decodePaxRecords(await reader.read(dataOffset, h.size));
        if (typeof records === 'string') throw corrupt(at, records);
        pax = records;
        at = dataOffset + h.size + paddingFor(h.size);
        continue;
      }
      const entry: RawEntry = { name: h.name, typeflag: h.typeflag, mode: h.mode, size: h.size, linkname: h.linkname, dataOffset };
      if (pax !== undefined) {
        const path = pax.get('path');
        const linkpath = pax.get('linkpath');
        const size = pax.get('size');
        if (path !== undefined) entry.name = path;
        if (linkpath !== undefined) entry.linkname = linkpath;
        if (size !== undefined) {
          if (!/^[0-9]+$/.test(size) || !Number.isSafeInteger(Number(size))) throw corrupt(at, `PAX size "${size}" is not a number`);
          entry.size = Number(size);
        }
        pax = undefined;
      }
      // Links and directories carry no data whatever their size field says (POSIX).
      const dataSize = NO_DATA.has(entry.typeflag) ? 0 : entry.size;
      if (dataOffset + dataSize > fileSize) throw corrupt(at, `entry "${entry.name}" runs past the end of the file`);
      let consumed = false;
      await visit(entry, async (onChunk) => {
        if (consumed) throw new Error('readData called twice for one entry');
        consumed = true;
        let pos = dataOffset;
        const end = dataOffset + dataSize;
        while (pos < end) {
          const chunk = await reader.read(pos, Math.min(WINDOW, end - pos));
          await onChunk(chunk);
          pos += chunk.length;
        }
      });
      at = dataOffset + dataSize + paddingFor(dataSize);
    }
  } finally {
    await fh.close();
  }
}

/** Hard links, symlinks, devices, directories and fifos: their size field does not count data. */
const NO_DATA = new Set(['1', '2', '3', '4', '5', '6']);

/**
 * Serves the walker's many small reads (a header, a small file) from one large read of the file:
 * one system call per MiB instead of two per entry. Each refill uses a new buffer, so slices
 * handed out stay valid after later reads.
 */
class WindowReader {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly fileSize: number,
  ) {}

  async read(position: number, length: number): Promise<Buffer> {
    if (position >= this.start && position + length <= this.start + this.buf.length) {
      return this.buf.subarray(position - this.start, position - this.start + length);
    }
    if (length >= WINDOW) return readExactly(this.fh, position, length);
    this.buf = await readExactly(this.fh, position, Math.max(length, Math.min(WINDOW, this.fileSize - position)));
    this.start = position;
    return this.buf.subarray(0, length);
  }
}

const WINDOW = 1 << 20;

async function readExactly(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new SlipwayError('corrupt', `archive ended early at byte ${position + got}`);
    got += bytesRead;
  }
  return buf;
}
