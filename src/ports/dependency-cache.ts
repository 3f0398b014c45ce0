// The dependency cache port: the node_modules trees that earlier successful installs produced,
// named by their key (core/pipeline/dependency-cache.ts), so that a commit whose lockfile did not
// change gets its dependencies, native modules compiled, without running `npm ci` again.
// The adapter (adapters/dependency-cache) keeps them in the sandbox area, out of every step's reach.

import type { Toolchain } from '../core/pipeline/dependency-cache.js';

export type Restored =
  | { ok: true; files: number; bytes: number; storedBy: string }
  | { ok: false; reason: 'missing' }
  /** The entry's content no longer has the digest recorded when it was stored: it is removed. */
  | { ok: false; reason: 'tampered'; message: string };

export interface DependencyCache {
  /** Node, ABI, platform, architecture and npm of the steps (part of every key). */
  toolchain(): Promise<Toolchain>;
  /**
   * Copies the entry of `key` to `target` (which must not exist) and checks the copy against the
   * digest recorded at store time; a copy that differs is removed and so is the entry.
   */
  restore(key: string, target: string): Promise<Restored>;
  /**
   * Stores a copy of `source` as the entry of `key`, atomically (a whole entry or none), with its
   * content digest, and drops the least recently used entries beyond the bound. `storedBy` says
   * which run and commit produced it. An entry that exists already is kept as it is.
   */
  store(key: string, source: string, storedBy: string): Promise<{ stored: boolean; files: number; bytes: number; evicted: number }>;
}
