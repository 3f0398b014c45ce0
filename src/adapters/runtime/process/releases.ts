// Release directories: a release's artifact, verified and unpacked read-only into
// `<home>/releases/<env>/v<release>-<hex12>/`, prepared once and reused.

import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import type { ArtifactManifest, ManifestEntry } from '../../../core/artifact/manifest.js';
import { basename, dirname, join } from 'node:path';
import { SlipwayError, isSlipwayError } from '../../../core/errors.js';
import type { ReleaseRef } from '../../../ports/runtime.js';
import { checkRef, type RuntimePaths } from './paths.js';
import { sha256File } from '../../fs/files.js';

/** Names the digest a release directory was made from; written last, so its presence means complete. */
export const RELEASE_MARKER = '.slipway-release.json';

/** What the runtime needs of the artifact service (`createArtifactService`): a verifying unpack, the signed manifest. */
export interface ReleaseUnpacker {
  unpack(ref: string, destDir: string, options?: { readOnly?: boolean }): Promise<unknown>;
  signedManifest(ref: string): Promise<ArtifactManifest>;
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
  if (await markerNames(dir, ref.digest)) {
    // Reused: it serves only if it still is what the signed manifest says, file by file.
    const problem = await differsFrom(dir, await artifacts.signedManifest(ref.digest));
    if (problem !== null) {
      throw new SlipwayError('corrupt', `cannot start ${ref.env} v${ref.release}: its release directory ${dir} differs from the signed manifest of ${ref.digest}: ${problem}`, `remove the directory and it is unpacked again from the verified artifact: chmod -R u+w ${dir} && rm -rf ${dir}`);
    }
    return { dir };
  }
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

/**
 * The first difference between the tree at `dir` and `manifest` ("app/server.js: content changed",
 * "app/new.js: not in the artifact", "app/gone.js: missing"), or null when they match. The
 * release marker is Slipway's own and not compared.
 */
export async function differsFrom(dir: string, manifest: ArtifactManifest): Promise<string | null> {
  const want = new Map<string, ManifestEntry>(manifest.entries.map((e) => [e.path, e]));
  const seen = new Set<string>();
  const walk = async (rel: string): Promise<string | null> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (path === RELEASE_MARKER) continue;
      const e = want.get(path);
      if (e === undefined) return `${path}: not in the artifact`;
      seen.add(path);
      const st = await lstat(join(dir, path));
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      if (type !== e.type) return `${path}: a ${type}, the artifact has a ${e.type}`;
      if (type === 'dir') {
        const inner = await walk(path);
        if (inner !== null) return inner;
      } else if (type === 'symlink') {
        if ((await readlink(join(dir, path))) !== e.target) return `${path}: link target changed`;
      } else {
        if (st.size !== e.size || (await sha256File(join(dir, path))) !== e.sha256) return `${path}: content changed`;
        if (((st.mode & 0o111) !== 0) !== ((e.mode & 0o111) !== 0)) return `${path}: executable bit changed`;
      }
    }
    return null;
  };
  const found = await walk('');
  if (found !== null) return found;
  const missing = manifest.entries.find((e) => !seen.has(e.path));
  return missing === undefined ? null : `${missing.path}: missing`;
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
