// The dependency cache on disk: `deps/<key>/` in the sandbox area, each entry a copy of the
// node_modules an install produced (`node_modules/`) and what was recorded when it was stored
// (`entry.json`: its content digest, size and origin). The directory is the control plane's alone
// (0700, never bound into a sandbox), entries are written whole or not at all (made in a temporary
// directory, then renamed), at most MAX_ENTRIES are kept (least recently used go first), and a
// restored copy is checked against the recorded digest before any step sees it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Toolchain } from '../../core/pipeline/dependency-cache.js';
import type { DependencyCache, Restored } from '../../ports/dependency-cache.js';
import { treeDigest } from './tree-digest.js';

/** Entries kept: a few lockfiles in flight at once (main, a branch or two), each a whole node_modules. */
export const MAX_ENTRIES = 3;

const KEY = /^[0-9a-f]{64}$/;

interface EntryRecord {
  key: string;
  digest: string;
  files: number;
  bytes: number;
  storedBy: string;
  storedAt: string;
}

/** A copy that shares blocks with the original where the file system can (reflink), else a plain copy; links are copied as links. */
const copyTree = (from: string, to: string): Promise<void> =>
  cp(from, to, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false, mode: constants.COPYFILE_FICLONE });

export interface DependencyCacheOptions {
  /** `cache/deps` in the sandbox area. */
  dir: string;
  /** The steps' environment (PATH finds the npm they run). */
  env: Record<string, string>;
}

export function createDependencyCache(options: DependencyCacheOptions): DependencyCache {
  const { dir } = options;
  let toolchain: Promise<Toolchain> | undefined;
  const entry = (key: string): string => {
    if (!KEY.test(key)) throw new Error(`not a dependency cache key: ${key}`);
    return join(dir, key);
  };
  const ensureDir = async (): Promise<void> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  };
  const readRecord = async (key: string): Promise<EntryRecord | undefined> => {
    const text = await readFile(join(entry(key), 'entry.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const r = JSON.parse(text) as EntryRecord;
      return r.key === key && typeof r.digest === 'string' ? r : undefined;
    } catch {
      return undefined;
    }
  };
  const evict = async (): Promise<number> => {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => KEY.test(n));
    const used = await Promise.all(names.map(async (n) => ({ n, at: (await stat(join(dir, n, 'entry.json')).catch(() => undefined))?.mtimeMs ?? 0 })));
    used.sort((a, b) => b.at - a.at);
    const drop = used.slice(MAX_ENTRIES);
    for (const d of drop) await rm(join(dir, d.n), { recursive: true, force: true });
    // Temporary directories of a store that died half-way.
    for (const n of (await readdir(dir).catch(() => [] as string[])).filter((x) => x.startsWith('.tmp-'))) {
      const st = await stat(join(dir, n)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 60 * 60 * 1000) await rm(join(dir, n), { recursive: true, force: true });
    }
    return drop.length;
  };

  return {
    toolchain() {
      toolchain ??= promisify(execFile)('npm', ['--version'], { env: options.env, timeout: 30_000 })
        .then((r) => r.stdout.trim())
        .catch(() => 'unknown')
        .then((npm) => ({ node: process.version, modules: process.versions.modules, platform: process.platform, arch: process.arch, npm }));
      return toolchain;
    },

    async restore(key, target): Promise<Restored> {
      const record = await readRecord(key);
      if (record === undefined) return { ok: false, reason: 'missing' };
      // As `npm ci` would: whatever node_modules the commit holds is replaced.
      await rm(target, { recursive: true, force: true });
      await copyTree(join(entry(key), 'node_modules'), target);
      const copy = await treeDigest(target);
      if (copy.digest !== record.digest) {
        await rm(target, { recursive: true, force: true });
        await rm(entry(key), { recursive: true, force: true });
        return { ok: false, reason: 'tampered', message: `its content has digest ${copy.digest}, not the ${record.digest} recorded when it was stored` };
      }
      const now = new Date();
      await utimes(join(entry(key), 'entry.json'), now, now).catch(() => undefined);
      return { ok: true, files: copy.files, bytes: copy.bytes, storedBy: record.storedBy };
    },

    async store(key, source, storedBy) {
      await ensureDir();
      if ((await readRecord(key)) !== undefined) return { stored: false, files: 0, bytes: 0, evicted: 0 };
      const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
      try {
        await mkdir(tmp, { mode: 0o700 });
        await copyTree(source, join(tmp, 'node_modules'));
        // The digest of the copy, not of the source: a step that goes on writing the source
        // cannot make the record disagree with what was kept.
        const d = await treeDigest(join(tmp, 'node_modules'));
        const record: EntryRecord = { key, digest: d.digest, files: d.files, bytes: d.bytes, storedBy, storedAt: new Date().toISOString() };
        await writeFile(join(tmp, 'entry.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
        try {
          await rename(tmp, entry(key));
        } catch {
          // Stored meanwhile by another run: keep that one.
          return { stored: false, files: 0, bytes: 0, evicted: 0 };
        }
        return { stored: true, files: d.files, bytes: d.bytes, evicted: await evict() };
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  };
}
