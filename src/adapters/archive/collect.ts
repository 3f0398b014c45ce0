// Finds what an artifact contains: the listed paths under the root, everything below listed
// directories, and the directories above them, each checked (inside the root, a supported type,
// links that do not escape) and sorted by path in byte order.

import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ancestorsOf, normaliseRelativePath, resolveLinkWithin } from '../../core/artifact/archive-paths.js';
import type { EntryType } from '../../core/artifact/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import { HOME_DIR_NAME } from '../../core/secrets/records.js';

export interface Collected {
  /** Normalised relative path, `/`-separated. */
  path: string;
  type: EntryType;
  /** Absolute path on disk. */
  abs: string;
  /** Whether any execute bit is set (files only). */
  exec: boolean;
  /** Size seen when listed (files only); the writer re-reads it from the open file. */
  size: number;
  target?: string;
}

/**
 * Collects the entries of `paths` (relative to `root`). Throws `SlipwayError('config')` naming
 * the path for one that does not exist, escapes the root, passes through a link, is a special
 * file, or is a link pointing outside the root. Absolute paths in `skip` are left out of
 * directory walks (the archive being written, when it lies inside the root), and so is every entry
 * found below a listed directory for which `leaveOut` says yes (a directory with all it holds); a
 * listed path itself is always packed.
 */
export async function collectEntries(
  root: string,
  paths: readonly string[],
  skip: ReadonlySet<string> = new Set(),
  leaveOut: (path: string, type: EntryType) => boolean = () => false,
): Promise<Collected[]> {
  const rootAbs = resolve(root);
  const rootStat = await stat(rootAbs).catch(() => null);
  if (rootStat === null || !rootStat.isDirectory()) {
    throw new SlipwayError('config', `cannot pack: ${rootAbs} is not a directory`);
  }
  const found = new Map<string, Collected>();
  const linkCache = new Map<string, string | undefined>();
  const readLinkInRoot = (rel: string): string | undefined => {
    if (!linkCache.has(rel)) {
      const abs = join(rootAbs, ...rel.split('/'));
      let target: string | undefined;
      try {
        if (lstatSync(abs).isSymbolicLink()) target = readlinkSync(abs);
      } catch {
        target = undefined; // missing: resolved as a plain directory name
      }
      linkCache.set(rel, target);
    }
    return linkCache.get(rel);
  };

  const visit = async (rel: string, st: Stats): Promise<void> => {
    const abs = rel === '' ? rootAbs : join(rootAbs, ...rel.split('/'));
    if (rel.split('/').includes(HOME_DIR_NAME)) {
      throw new SlipwayError('refused', `cannot pack "${rel}": Slipway's state directory (${HOME_DIR_NAME}/) never goes into an artifact`, `list only build outputs in build.artifact (e.g. dist/), and keep ${HOME_DIR_NAME}/ out of git`);
    }
    if (st.isDirectory()) {
      if (rel !== '') found.set(rel, { path: rel, type: 'dir', abs, exec: true, size: 0 });
      const names = await readdir(abs);
      await Promise.all(
        names.map(async (name) => {
          const child = rel === '' ? name : `${rel}/${name}`;
          if (skip.has(join(abs, name))) return;
          const childStat = await lstat(join(abs, name));
          if (leaveOut(child, childStat.isDirectory() ? 'dir' : childStat.isSymbolicLink() ? 'symlink' : 'file')) return;
          await visit(child, childStat);
        }),
      );
    } else if (st.isFile()) {
      found.set(rel, { path: rel, type: 'file', abs, exec: (st.mode & 0o111) !== 0, size: st.size });
    } else if (st.isSymbolicLink()) {
      const target = await readlink(abs);
      const r = resolveLinkWithin(rel, target, readLinkInRoot);
      if (!r.ok) {
        throw new SlipwayError(
          'config',
          `cannot pack the symlink "${rel}": it ${r.message}`,
          'make the link relative and pointing inside the build directory, or leave it out of the artifact',
        );
      }
      found.set(rel, { path: rel, type: 'symlink', abs, exec: false, size: 0, target });
    } else {
      throw new SlipwayError('config', `cannot pack "${rel}": only files, directories and symlinks can go into an artifact`);
    }
  };

  for (const raw of paths) {
    const n = normaliseRelativePath(raw);
    if (!n.ok) {
      throw new SlipwayError('config', `artifact path "${raw}" ${n.message}`, 'list artifact paths relative to the build directory, inside it');
    }
    for (const a of ancestorsOf(n.path)) {
      const st = await lstat(join(rootAbs, ...a.split('/'))).catch(() => null);
      if (st === null) throw new SlipwayError('config', `artifact path "${raw}" does not exist in ${rootAbs}`);
      if (!st.isDirectory()) {
        throw new SlipwayError('config', `artifact path "${raw}" passes through "${a}", which is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}`, 'list the real path instead');
      }
      found.set(a, { path: a, type: 'dir', abs: join(rootAbs, ...a.split('/')), exec: true, size: 0 });
    }
    const abs = n.path === '' ? rootAbs : join(rootAbs, ...n.path.split('/'));
    const st = await lstat(abs).catch(() => null);
    if (st === null) throw new SlipwayError('config', `artifact path "${raw}" does not exist in ${rootAbs}`, 'check build.artifact in slipway.yaml, or that the build command produced it');
    await visit(n.path, st);
  }
  const keyed = [...found.values()].map((c) => ({ c, key: Buffer.from(c.path, 'utf8') }));
  keyed.sort((x, y) => Buffer.compare(x.key, y.key));
  return keyed.map((k) => k.c);
}
