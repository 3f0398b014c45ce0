// Release directories: a release's artifact, verified and unpacked read-only into
// `<home>/releases/<env>/v<release>-<hex12>/`, prepared once and reused.

import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SlipwayError, isSlipwayError } from '../../../core/errors.js';
import type { ReleaseRef } from '../../../ports/runtime.js';
import { checkRef, type RuntimePaths } from './paths.js';

/** Names the digest a release directory was made from; written last, so its presence means complete. */
export const RELEASE_MARKER = '.slipway-release.json';

/** What the runtime needs of the artifact service (`createArtifactService`): a verifying unpack. */
export interface ReleaseUnpacker {
  unpack(ref: string, destDir: string, options?: { readOnly?: boolean }): Promise<unknown>;
}

const PARTIAL = '.partial-';

/**
 * Prepares the release directory of `ref`: reuses it when its marker names the digest; otherwise
 * unpacks into a partial directory beside it (verified, read-only files), writes the marker, makes
 * the directories read-only too, and renames it into place, so that a crash never leaves a
 * directory that looks complete. Throws the artifact service's `SlipwayError` (not_found, corrupt,
 * refused), prefixed with the release it was for.
 */
export async function prepareRelease(paths: RuntimePaths, artifacts: ReleaseUnpacker, ref: ReleaseRef): Promise<{ dir: string }> {
  checkRef(ref);
  const dir = paths.releaseDir(ref);
  if (await markerNames(dir, ref.digest)) return { dir };
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true, mode: 0o755 });
  await removeDeadPartials(parent, basename(dir));
  const partial = join(parent, `${PARTIAL}${basename(dir)}-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await artifacts.unpack(ref.digest, partial, { readOnly: true });
    const marker = { schema: 'slipway/release@1', env: ref.env, release: ref.release, digest: ref.digest, preparedAt: new Date().toISOString() };
    await writeFile(join(partial, RELEASE_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o444 });
    await setDirModes(partial, 0o555);
  } catch (e) {
    await removeTree(partial);
    if (isSlipwayError(e)) throw new SlipwayError(e.code, `cannot prepare ${ref.env} v${ref.release}: ${e.message}`, e.hint, e.details);
    throw e;
  }
  try {
    await rename(partial, dir);
  } catch {
    // Another process prepared the same release meanwhile (use theirs), or a directory without a
    // valid marker is in the way (a leftover: replace it).
    if (await markerNames(dir, ref.digest)) {
      await removeTree(partial);
      return { dir };
    }
    await removeTree(dir);
    await rename(partial, dir).catch(async (e: unknown) => {
      await removeTree(partial);
      throw e;
    });
  }
  return { dir };
}

/** True when `dir` holds a marker naming `digest`. */
export async function markerNames(dir: string, digest: string): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(join(dir, RELEASE_MARKER), 'utf8')) as { digest?: unknown };
    return m.digest === digest;
  } catch {
    return false;
  }
}

/** Sets the mode of every directory under `root` (deepest first, so that the walk can go on). */
async function setDirModes(root: string, mode: number): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true });
  for (const e of entries) if (e.isDirectory()) await setDirModes(join(root, e.name), mode);
  await chmod(root, mode);
}

/** Removes a tree whose directories may be read-only. */
export async function removeTree(root: string): Promise<void> {
  const st = await lstat(root).catch(() => null);
  if (st === null) return;
  if (st.isDirectory()) await makeWritable(root);
  await rm(root, { recursive: true, force: true });
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory()) await makeWritable(join(dir, e.name));
}

async function removeDeadPartials(parent: string, name: string): Promise<void> {
  const prefix = `${PARTIAL}${name}-`;
  for (const entry of await readdir(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    // Ours are in flight; another live process's too.
    if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || isProcessAlive(pid))) continue;
    await removeTree(join(parent, entry));
  }
}

const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};
