// Small file helpers for the artifact store: streamed hashing and crash-safe writes.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, open, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** Hex sha256 of a file's bytes, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A temp name in `dir` that nothing else uses; the `.tmp-` prefix marks it for sweeping. */
export function tempName(dir: string): string {
  return join(dir, `.tmp-${process.pid}-${Date.now()}-${randomBytes(6).toString('hex')}`);
}

/** Flushes a file's bytes (or a directory's entries) to disk. */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `content` to `target` whole or not at all: temp file, fsync, chmod, rename, fsync dir. */
export async function writeFileAtomic(dir: string, target: string, content: string | Buffer, mode: number): Promise<void> {
  const temp = tempName(dir);
  const fh = await open(temp, 'wx', 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(temp, mode);
  await rename(temp, target);
  await fsyncPath(dir);
}
