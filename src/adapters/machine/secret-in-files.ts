// A build that was given secrets must not bake them into what it produced: before packing, the
// artifact's files are searched for every form of the build's secret values (the masker's forms).
import { lstat, open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createMasker } from '../../secrets/mask.js';

/** Files larger than this are read in their first part only (a key or token sits in config files). */
const MAX_READ = 64 * 1024 * 1024;

/**
 * The first file under `paths` (relative to `root`) that holds one of `values` in any masked form,
 * as a path relative to `root`; undefined when none does. Links are not followed.
 */
export const findSecretInFiles = async (root: string, paths: readonly string[], values: readonly string[]): Promise<string | undefined> => {
  const masker = createMasker(values);
  if (masker.forms === 0) return undefined;
  const visit = async (abs: string): Promise<string | undefined> => {
    const st = await lstat(abs).catch(() => undefined);
    if (!st) return undefined;
    if (st.isDirectory()) {
      for (const name of (await readdir(abs)).sort()) {
        const hit = await visit(join(abs, name));
        if (hit) return hit;
      }
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const fh = await open(abs, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(Math.min(st.size, MAX_READ));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    return masker.mask(text) === text ? undefined : relative(root, abs);
  };
  for (const p of paths) {
    const hit = await visit(join(root, p));
    if (hit) return hit;
  }
  return undefined;
};
