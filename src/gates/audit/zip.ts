// A minimal reader of zip archives (such as osv.dev's per-ecosystem all.zip): the central
// directory lists the entries; each is stored or deflated (inflated with node:zlib) and checked
// against its CRC-32. ZIP64 is supported; encryption and other methods are refused by name.

import { crc32, inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

export interface ZipEntry {
  name: string;
  size: number;
  /** Decompresses and checks the entry. Throws ZipFormatError when it is damaged. */
  read: () => Buffer;
}

function findEocd(buf: Buffer): number {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= min; i--) if (buf.readUInt32LE(i) === EOCD) return i;
  throw new ZipFormatError('no end-of-central-directory record: not a zip file, or truncated');
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('a ZIP64 size is too large');
  return Number(v);
}

/** Lists the entries of a zip held in memory; file data is read lazily by `entry.read()`. */
export function readZip(buf: Buffer): ZipEntry[] {
  if (buf.length < 22) throw new ZipFormatError('file is too short to be a zip');
  const eocd = findEocd(buf);
  let count = buf.readUInt16LE(eocd + 10);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || buf.readUInt32LE(loc) !== EOCD64_LOCATOR) throw new ZipFormatError('ZIP64 end record locator missing');
    const e64 = u64(buf, loc + 8);
    if (e64 + 56 > buf.length || buf.readUInt32LE(e64) !== EOCD64) throw new ZipFormatError('ZIP64 end record missing');
    count = u64(buf, e64 + 32);
    cdOffset = u64(buf, e64 + 48);
  }
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw new ZipFormatError(`central directory entry ${i} is damaged (offset ${p})`);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    let csize = buf.readUInt32LE(p + 20);
    let usize = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString(flags & 0x800 ? 'utf8' : 'latin1');
    // ZIP64 extra field: the 64-bit values present are those whose 32-bit field is 0xffffffff, in order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = buf.readUInt16LE(x);
      const len = buf.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        if (usize === 0xffffffff) {
          usize = u64(buf, q);
          q += 8;
        }
        if (csize === 0xffffffff) {
          csize = u64(buf, q);
          q += 8;
        }
        if (local === 0xffffffff) local = u64(buf, q);
      }
      x += 4 + len;
    }
    p = xEnd + commentLen;
    if (name.endsWith('/')) continue;
    entries.push({
      name,
      size: usize,
      read: () => {
        if (flags & 0x1) throw new ZipFormatError(`${name}: encrypted entries are not supported`);
        if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) throw new ZipFormatError(`${name}: local header is damaged`);
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        if (start + csize > buf.length) throw new ZipFormatError(`${name}: data runs past the end of the file`);
        const raw = buf.subarray(start, start + csize);
        let data: Buffer;
        if (method === 0) data = raw;
        else if (method === 8) {
          try {
            data = inflateRawSync(raw, { maxOutputLength: Math.max(usize, 1) });
          } catch (e) {
            throw new ZipFormatError(`${name}: cannot inflate: ${(e as Error).message}`);
          }
        } else throw new ZipFormatError(`${name}: compression method ${method} is not supported (only stored and deflate)`);
        if (data.length !== usize || crc32(data) >>> 0 !== crc) throw new ZipFormatError(`${name}: CRC or size mismatch (damaged entry)`);
        return data;
      },
    });
  }
  return entries;
}
