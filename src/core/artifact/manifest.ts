// The manifest of an artifact: every entry of its archive with the sha256 of each file, so that
// two builds that should be identical can say which files differ. Pure: types, parse, diff.

import { compareCodePoints } from '../canonical-json.js';
import { isDigest, type Digest } from './digest.js';

export type EntryType = 'file' | 'dir' | 'symlink';

export interface ManifestEntry {
  /** Relative path with `/` separators, no trailing slash (directories included). */
  path: string;
  type: EntryType;
  /** Bytes of content; 0 for directories and links. */
  size: number;
  /** Normalised permission bits: 0o644 or 0o755 (0o777 for links). */
  mode: number;
  /** Hex sha256 of a file's content. */
  sha256?: string;
  /** A link's target, as stored. */
  target?: string;
}

export interface ArtifactManifest {
  /** Digest of the whole archive: the artifact's name. */
  digest: Digest;
  /** Bytes of the archive. */
  size: number;
  /** Number of regular files. */
  files: number;
  /** Every entry, sorted by path in byte order. */
  entries: ManifestEntry[];
}

/** Written into stored manifests so that a later format can be told apart. */
export const MANIFEST_SCHEMA = 'slipway/artifact-manifest@1';

export type ParsedManifest = { ok: true; manifest: ArtifactManifest } | { ok: false; message: string };

/** Checks a manifest read back from disk (parsed JSON); the `schema` key is required. */
export function parseManifest(value: unknown): ParsedManifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'manifest must be a JSON object' };
  }
  const v = value as Record<string, unknown>;
  if (v.schema !== MANIFEST_SCHEMA) return { ok: false, message: `manifest: "schema" must be "${MANIFEST_SCHEMA}"` };
  if (typeof v.digest !== 'string' || !isDigest(v.digest)) {
    return { ok: false, message: 'manifest: "digest" must be sha256:<64 hex>' };
  }
  if (!isCount(v.size)) return { ok: false, message: 'manifest: "size" must be a non-negative integer' };
  if (!isCount(v.files)) return { ok: false, message: 'manifest: "files" must be a non-negative integer' };
  if (!Array.isArray(v.entries)) return { ok: false, message: 'manifest: "entries" must be an array' };
  const entries: ManifestEntry[] = [];
  for (const [i, e] of (v.entries as unknown[]).entries()) {
    const checked = parseEntry(e);
    if (typeof checked === 'string') return { ok: false, message: `manifest: entries[${i}]: ${checked}` };
    entries.push(checked);
  }
  return { ok: true, manifest: { digest: v.digest, size: v.size, files: v.files, entries } };
}

function parseEntry(value: unknown): ManifestEntry | string {
  if (typeof value !== 'object' || value === null) return 'must be an object';
  const e = value as Record<string, unknown>;
  if (typeof e.path !== 'string' || e.path === '') return '"path" must be a non-empty string';
  if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink') return '"type" must be file, dir or symlink';
  if (!isCount(e.size)) return '"size" must be a non-negative integer';
  if (!isCount(e.mode)) return '"mode" must be a non-negative integer';
  if (e.sha256 !== undefined && (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256))) {
    return '"sha256" must be 64 hex characters';
  }
  if (e.target !== undefined && typeof e.target !== 'string') return '"target" must be a string';
  const entry: ManifestEntry = { path: e.path, type: e.type, size: e.size, mode: e.mode };
  if (e.sha256 !== undefined) entry.sha256 = e.sha256;
  if (e.target !== undefined) entry.target = e.target;
  return entry;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export type ChangeKind = 'type' | 'content' | 'mode' | 'target';

export interface ManifestDiff {
  /** True when both manifests list the same entries with the same content. */
  same: boolean;
  /** Paths only in `b`. */
  added: string[];
  /** Paths only in `a`. */
  removed: string[];
  /** Paths in both whose type, content, mode or link target differ. */
  changed: { path: string; kinds: ChangeKind[] }[];
}

/**
 * Compares two builds entry by entry (e.g. the reproducibility check: build twice, diff).
 * All three lists are sorted by path in byte order.
 */
export function diffManifests(a: Pick<ArtifactManifest, 'entries'>, b: Pick<ArtifactManifest, 'entries'>): ManifestDiff {
  const before = new Map(a.entries.map((e) => [e.path, e]));
  const after = new Map(b.entries.map((e) => [e.path, e]));
  const added: string[] = [];
  const removed: string[] = [];
  const changed: ManifestDiff['changed'] = [];
  for (const [path, x] of before) {
    const y = after.get(path);
    if (y === undefined) {
      removed.push(path);
      continue;
    }
    const kinds: ChangeKind[] = [];
    if (x.type !== y.type) kinds.push('type');
    else if (x.sha256 !== y.sha256 || x.size !== y.size) kinds.push('content');
    if (x.mode !== y.mode) kinds.push('mode');
    if (x.target !== y.target && x.type === y.type) kinds.push('target');
    if (kinds.length > 0) changed.push({ path, kinds });
  }
  for (const path of after.keys()) if (!before.has(path)) added.push(path);
  added.sort(compareCodePoints);
  removed.sort(compareCodePoints);
  changed.sort((p, q) => compareCodePoints(p.path, q.path));
  return { same: added.length + removed.length + changed.length === 0, added, removed, changed };
}
