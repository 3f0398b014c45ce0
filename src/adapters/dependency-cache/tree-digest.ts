// The content digest of a directory tree: every entry's relative path, type and permission bits,
// each file's bytes and each link's target, in a fixed order. Two trees with the same digest hold
// the same things; timestamps and owners are not part of it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { compareCodePoints } from '../../core/canonical-json.js';

export interface TreeDigest {
  digest: string;
  files: number;
  bytes: number;
}

const fileHash = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });

/** @example await treeDigest('/w/node_modules') // → { digest: 'sha256:…', files: 812, bytes: 10485760 } */
export async function treeDigest(root: string): Promise<TreeDigest> {
  const h = createHash('sha256');
  let files = 0;
  let bytes = 0;
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort(compareCodePoints);
    for (const name of names) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, r);
      const st = await lstat(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) h.update(`l ${r} ${await readlink(abs)}\0`);
      else if (st.isDirectory()) {
        h.update(`d ${r} ${mode}\0`);
        await walk(r);
      } else if (st.isFile()) {
        files++;
        bytes += st.size;
        h.update(`f ${r} ${mode} ${st.size} ${await fileHash(abs)}\0`);
      } else h.update(`o ${r}\0`);
    }
  };
  await walk('');
  return { digest: `sha256:${h.digest('hex')}`, files, bytes };
}
