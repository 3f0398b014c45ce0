// Scans a built artifact in place: a tar archive, plain or gzip-compressed, read as a stream so
// that nothing is unpacked to disk. Paths in findings are the paths inside the archive.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SlipwayError } from '../../core/errors.js';
import { ScanAccumulator, type ScanOptions, type ScanReport } from './scan-files.js';
import { TarFormatError, readTarEntries } from './tar-reader.js';

async function isGzip(file: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new SlipwayError('not_found', `cannot open archive ${file}: ${(e as Error).message}`, 'check the artifact path');
  }
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Scans every regular file in the tar archive `file` (gzip detected by its magic bytes).
 * Throws SlipwayError('not_found') when the file cannot be opened and SlipwayError('corrupt')
 * when it is not a well-formed tar.
 */
export async function scanArchive(file: string, opts: ScanOptions = {}): Promise<ScanReport> {
  const gz = await isGzip(file);
  const acc = new ScanAccumulator(opts);
  const raw = createReadStream(file);
  const source = gz ? pipeline(raw, createGunzip(), () => undefined) : raw;
  try {
    for await (const entry of readTarEntries(source, (path, size) => acc.wants(path, size) === 'scan')) {
      if (entry.kind === 'file') acc.add({ path: entry.path, size: entry.size, ...(entry.content ? { content: entry.content } : {}) });
      else if (entry.kind !== 'directory') acc.notRegular();
    }
  } catch (e) {
    raw.destroy();
    if (e instanceof TarFormatError) throw new SlipwayError('corrupt', `archive ${file} is corrupt ${e.message}`, 'rebuild the artifact');
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_') === true) {
      throw new SlipwayError('corrupt', `archive ${file} is not valid gzip: ${(e as Error).message}`, 'rebuild the artifact');
    }
    throw e;
  }
  return acc.finish();
}
