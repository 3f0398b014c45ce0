// The file-system side of retention: scans the artifact store of the home and the releases and
// work directories of the sandbox area, and removes what the plan says (layout: ports/retention.ts,
// ports/artifacts.ts, adapters/runtime/process/index.ts).

import { chmod, lstat, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkEnvName } from '../../core/env-name.js';
import type { DiskItem, RetentionDisk } from '../../ports/retention.js';

const HEX64 = /^[0-9a-f]{64}$/;
const RELEASE_DIR = /^v(\d+)-[0-9a-f]{12}$/;
/** Step and gate scratch directories in the area's tmp/ (instances' own are tmp/<env>/<id>). */
const STEP_TMP = /^(step|bench)-/;

/** Bytes under `path` (files as allocated on disk is not asked: their sizes), links not followed. */
async function sizeOf(path: string): Promise<number> {
  const st = await lstat(path).catch(() => null);
  if (st === null) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await sizeOf(join(path, name));
  return total;
}

/** Read-only release trees (0555 directories) need write permission back before removal. */
async function makeWritable(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (st === null || !st.isDirectory()) return;
  await chmod(path, 0o755).catch(() => undefined);
  for (const name of await readdir(path).catch(() => [] as string[])) await makeWritable(join(path, name));
}

const list = (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[]);

export function createFsRetentionDisk(options: { home: string; area: string }): RetentionDisk {
  const store = join(resolve(options.home), 'artifacts', 'sha256');
  const area = resolve(options.area);
  const artifactFiles = (hex: string): string[] => [join(store, hex), join(store, `${hex}.provenance.json`), join(store, `${hex}.manifest.json`)];

  return {
    async scan() {
      const items: DiskItem[] = [];
      for (const name of await list(store)) {
        if (!HEX64.test(name)) continue;
        const st = await stat(join(store, name)).catch(() => null);
        if (st === null) continue;
        let bytes = 0;
        for (const f of artifactFiles(name)) bytes += await sizeOf(f);
        items.push({ kind: 'artifact', digest: `sha256:${name}`, path: join(store, name), bytes, modifiedAt: st.mtimeMs });
      }
      for (const env of await list(join(area, 'releases'))) {
        if (!checkEnvName(env).ok) continue;
        for (const name of await list(join(area, 'releases', env))) {
          const m = RELEASE_DIR.exec(name);
          if (m === null) continue;
          const path = join(area, 'releases', env, name);
          const st = await lstat(path).catch(() => null);
          if (st?.isDirectory() === true) items.push({ kind: 'release-dir', env, release: Number(m[1]), path, bytes: await sizeOf(path), modifiedAt: st.mtimeMs });
        }
      }
      const work = [...(await list(join(area, 'work'))).map((n) => join(area, 'work', n)), ...(await list(join(area, 'tmp'))).filter((n) => STEP_TMP.test(n)).map((n) => join(area, 'tmp', n))];
      for (const path of work) {
        const st = await lstat(path).catch(() => null);
        if (st !== null) items.push({ kind: 'work-dir', path, bytes: await sizeOf(path), modifiedAt: st.mtimeMs });
      }
      return items;
    },

    async remove(item) {
      if (item.kind === 'artifact') {
        const hex = item.digest.slice('sha256:'.length);
        if (!HEX64.test(hex)) throw new Error(`not an artifact digest: ${item.digest}`);
        let freed = 0;
        for (const f of artifactFiles(hex)) {
          freed += await sizeOf(f);
          await rm(f, { force: true });
        }
        return freed;
      }
      // Only what scan would list: a path inside the area's releases, work or tmp directories.
      const path = resolve(item.path);
      const inside = ['releases', 'work', 'tmp'].some((d) => path.startsWith(`${join(area, d)}/`));
      if (!inside) throw new Error(`refusing to remove ${path}: not in the sandbox area's releases, work or tmp directories`);
      const freed = await sizeOf(path);
      await makeWritable(path);
      await rm(path, { recursive: true, force: true });
      return freed;
    },
  };
}
