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
  // Small files are written by a few concurrent tasks: one at a time leaves the disk idle
  // between round trips. Directories and links are made in archive order, before their contents.
  const pool = new TaskPool(WRITERS);
  const made = new Set<string>([dest]);
  const ensureDir = async (dir: string): Promise<void> => {
    if (made.has(dir)) return;
    await mkdir(dir, { recursive: true, mode: 0o755 });
    made.add(dir);
  };
  try {
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
      await ensureDir(dirname(target));
      switch (entry.type) {
        case 'dir':
          await ensureDir(target);
          // mkdir's mode is filtered by the umask; the archive says 0755.
          await chmod(target, 0o755);
          return;
        case 'symlink':
          await symlink(entry.target ?? '', target);
          return;
        case 'file': {
          const exec = entry.mode === 0o755;
          const mode = options.readOnly === true ? (exec ? 0o555 : 0o444) : exec ? 0o755 : 0o644;
          const chunks: Buffer[] = [];
          if (entry.size <= SMALL) {
            await readData((chunk) => void chunks.push(chunk));
            await pool.run(() => writeWhole(target, chunks, mode));
            return;
          }
          await writeWhole(target, readData, mode);
          return;
        }
      }
    });
    await pool.drain();
    return { entries };
  } catch (e) {
    await pool.settle();
    await cleanUp(dest, created);
    throw e;
  }
}

/** Files up to this size are read whole and written by the pool. */
const SMALL = 1 << 20;
const WRITERS = 16;

/**
 * Creates `target` (never an existing path: O_EXCL) from chunks or a chunk source, then sets its
 * final mode on the open file (exact, whatever the umask).
 */
async function writeWhole(target: string, source: Buffer[] | ((onChunk: (c: Buffer) => Promise<void>) => Promise<void>), mode: number): Promise<void> {
  const out = await open(target, 'wx', 0o600);
  try {
    const put = async (chunk: Buffer): Promise<void> => {
      let off = 0;
      while (off < chunk.length) off += (await out.write(chunk, off, chunk.length - off)).bytesWritten;
    };
    if (Array.isArray(source)) for (const c of source) await put(c);
    else await source(put);
    await out.chmod(mode);
  } finally {
    await out.close();
  }
}

/** Runs at most `limit` tasks at once; the first failure is thrown by the next `run` or `drain`. */
class TaskPool {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    this.check();
    const p: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
    if (this.running.size >= this.limit) await Promise.race(this.running);
    this.check();
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
    this.check();
  }

  /** Waits for everything in flight, ignoring failures (before cleaning up). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.running);
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure.error;
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
