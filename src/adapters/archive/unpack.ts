// Extracts an archive into a fresh directory, after checking every entry first (a refused archive
// writes nothing). Files are created with O_EXCL so that nothing already there is followed.

import { chmod, mkdir, open, readdir, rm, symlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ManifestEntry } from '../../core/artifact/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import { listArchive, toEntry } from './list.js';
import { walkArchive } from './read.js';

export interface UnpackOptions {
  /** Make every extracted file read-only (0444, or 0555 if executable). Directories stay writable. */
  readOnly?: boolean;
}

export interface UnpackResult {
  /** Entries written, in archive order. */
  entries: ManifestEntry[];
}

/**
 * Extracts the archive at `file` into `destDir`, which must not exist or be empty. The whole
 * archive is checked before anything is written (see `listArchive`); an I/O failure half-way
 * removes what was written. Throws `SlipwayError('refused' | 'corrupt')` naming the bad entry,
 * `SlipwayError('conflict')` if `destDir` holds anything.
 */
export async function unpackSafe(file: string, destDir: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const dest = resolve(destDir);
  const entries = await listArchive(file);
  const created = await prepareDest(dest);
  try {
    const files: { path: string; mode: number }[] = [];
    let index = 0;
    await walkArchive(file, async (raw, readData) => {
      const entry = toEntry(raw, file);
      if (entry === null) return;
      // The checks ran on a first read; refuse if the file changed since.
      const listed = entries[index++];
      if (listed?.path !== entry.path || listed.type !== entry.type || listed.target !== entry.target) {
        throw new SlipwayError('corrupt', `archive ${file} changed while it was being unpacked`);
      }
      const target = join(dest, ...entry.path.split('/'));
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      switch (entry.type) {
        case 'dir':
          await mkdir(target, { recursive: true, mode: 0o755 });
          // mkdir's mode is filtered by the umask; the archive says 0755.
          await chmod(target, 0o755);
          return;
        case 'symlink':
          await symlink(entry.target ?? '', target);
          return;
        case 'file': {
          const out = await open(target, 'wx', 0o600);
          let written = 0;
          try {
            await readData(async (chunk) => {
              let off = 0;
              while (off < chunk.length) off += (await out.write(chunk, off, chunk.length - off)).bytesWritten;
              written += chunk.length;
            });
          } finally {
            await out.close();
          }
          if (written !== entry.size) throw new SlipwayError('corrupt', `archive ${file}: entry "${entry.path}" is truncated`);
          files.push({ path: target, mode: entry.mode });
          return;
        }
      }
    });
    for (const f of files) {
      const exec = f.mode === 0o755;
      await chmod(f.path, options.readOnly === true ? (exec ? 0o555 : 0o444) : exec ? 0o755 : 0o644);
    }
    return { entries };
  } catch (e) {
    await cleanUp(dest, created);
    throw e;
  }
}

/** Creates `dest` or checks it is an empty directory; returns whether it was created. */
async function prepareDest(dest: string): Promise<boolean> {
  try {
    const names = await readdir(dest);
    if (names.length > 0) {
      throw new SlipwayError('conflict', `cannot unpack into ${dest}: the directory is not empty`, 'unpack into a new directory');
    }
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new SlipwayError('conflict', `cannot unpack into ${dest}: it is not a directory`);
    if (code !== 'ENOENT') throw e;
  }
  await mkdir(dest, { recursive: true, mode: 0o755 });
  return true;
}

async function cleanUp(dest: string, created: boolean): Promise<void> {
  if (created) {
    await rm(dest, { recursive: true, force: true });
    return;
  }
  for (const name of await readdir(dest)) await rm(join(dest, name), { recursive: true, force: true });
}
