// Crash-safe file writes, the one place for them: every file Slipway replaces or creates once (the
// home's token and server.json, the proxy's routes, the runtime shim's state, keys, manifests,
// hooks, the homes registry) goes through here. It lives at the adapters level: adapters and the
// infrastructure folders beside them (home, proxy, secrets, runtime-shim) and the server's daemon
// import it (and the streamed file hash); the core, the ports and the engine never do (the engine reaches files through ports).

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Hex sha256 of a file's bytes, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A temp name beside `file` that nothing else uses; the `.tmp-` prefix marks it for sweeping. */
export function tempName(file: string): string {
  return join(dirname(file), `.tmp-${basename(file)}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Flushes a file's bytes (or a directory's entries) to disk, off the event loop. */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to a new temp file beside `file` with exactly `mode`, flushed to disk; returns its name. */
function writeTemp(file: string, data: string | Buffer, mode: number): string {
  const temp = tempName(file);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    fchmodSync(fd, mode);
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  return temp;
}

/**
 * Replaces `file` with `data` so that a reader or a crash sees the old file or the new one, never
 * a mix: temp file, fsync, rename, fsync of the folder. The file gets exactly `mode`, whatever the
 * umask.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  const temp = writeTemp(file, data, mode);
  try {
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  fsyncDir(dirname(file));
}

/**
 * Creates `file` holding `data`, whole, unless it exists: the bytes are written and flushed to a
 * temp file first and then hard-linked into place, which fails when the name is taken. So a
 * reader never sees a half-written file, and of two processes racing exactly one creates it.
 * Returns true when this call created the file, false when it was already there (read it).
 */
export function createFileOnce(file: string, data: string | Buffer, mode = 0o600): boolean {
  const temp = writeTemp(file, data, mode);
  try {
    linkSync(temp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(temp, { force: true });
  }
  fsyncDir(dirname(file));
  return true;
}

/** Removes each file that exists; one already gone is what was wanted (a server's info and lock files at its stop). */
export function removeFiles(files: readonly string[]): void {
  for (const f of files) rmSync(f, { force: true });
}
