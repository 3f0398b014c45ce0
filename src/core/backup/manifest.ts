// The manifest of a Slipway backup archive and the pure checks on it: which format versions this
// Slipway reads, which entry names an archive may hold (nothing else is ever written on restore),
// and whether every entry's bytes match the digest the manifest gives. No I/O here.

/** The format this Slipway writes; an archive with a larger number is refused. */
export const BACKUP_FORMAT_VERSION = 1;
export const BACKUP_FORMAT = 'slipway-backup';
/** The first entry of every archive. */
export const MANIFEST_ENTRY = 'manifest.json';

export type BackupEntryKind = 'database' | 'repository' | 'signing-key' | 'artifact' | 'master-key';

export interface BackupEntry {
  name: string;
  kind: BackupEntryKind;
  size: number;
  /** Hex sha256 of the entry's bytes. */
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  slipwayVersion: string;
  createdAt: string;
  /** The id (homeIdOf) of the home the backup was taken from; never its path. */
  homeId: string;
  /** The database's schema version (its last applied migration). */
  schemaVersion: number;
  /** Key ids the secrets in the database are sealed under; empty when there are none. */
  secretKeyIds: string[];
  /** Whether artifacts no release references were included (`--all`). */
  allArtifacts: boolean;
  counts: { environments: number; releases: number; deployments: number; events: number; secretVersions: number; artifacts: number };
  entries: BackupEntry[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const ENTRY_NAMES: [RegExp, BackupEntryKind][] = [
  [/^db\/slipway\.db$/, 'database'],
  [/^repo\/canonical\.bundle$/, 'repository'],
  [/^keys\/signing\.(key|pub)$/, 'signing-key'],
  [/^artifacts\/sha256\/[0-9a-f]{64}(\.manifest\.json|\.provenance\.json)?$/, 'artifact'],
  [/^master-key\.sealed$/, 'master-key'],
];

/** The kind an entry name must have, or undefined when the name is not one a backup holds. */
export const kindOfEntryName = (name: string): BackupEntryKind | undefined => ENTRY_NAMES.find(([re]) => re.test(name))?.[1];

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads a manifest from its parsed JSON. Refuses one from a newer format (naming both versions),
 * one that is not a Slipway backup, and any entry whose name, kind, size or digest is malformed or
 * listed twice.
 */
export function parseBackupManifest(raw: unknown, slipwayVersion: string): Checked<BackupManifest> {
  const bad = (message: string): Checked<BackupManifest> => ({ ok: false, message });
  if (!isObject(raw) || raw.format !== BACKUP_FORMAT) return bad('it is not a Slipway backup (its manifest does not say format "slipway-backup")');
  if (!isCount(raw.formatVersion) || raw.formatVersion < 1) return bad('its manifest has no valid formatVersion');
  if (raw.formatVersion > BACKUP_FORMAT_VERSION) {
    return bad(`it was written in backup format ${raw.formatVersion} by Slipway ${typeof raw.slipwayVersion === 'string' ? raw.slipwayVersion : '(unknown)'}; this Slipway ${slipwayVersion} reads format ${BACKUP_FORMAT_VERSION} and older`);
  }
  for (const k of ['slipwayVersion', 'createdAt', 'homeId'] as const) if (typeof raw[k] !== 'string') return bad(`its manifest has no ${k}`);
  if (!isCount(raw.schemaVersion)) return bad('its manifest has no schemaVersion');
  if (!Array.isArray(raw.secretKeyIds) || !raw.secretKeyIds.every((k) => typeof k === 'string' && /^[0-9a-f]{16}$/.test(k))) return bad('its manifest has malformed secretKeyIds');
  if (typeof raw.allArtifacts !== 'boolean') return bad('its manifest has no allArtifacts');
  const counts = raw.counts;
  const countKeys = ['environments', 'releases', 'deployments', 'events', 'secretVersions', 'artifacts'] as const;
  if (!isObject(counts) || !countKeys.every((k) => isCount(counts[k]))) return bad('its manifest has malformed counts');
  if (!Array.isArray(raw.entries)) return bad('its manifest has no entries');
  const entries: BackupEntry[] = [];
  const seen = new Set<string>();
  for (const [i, e] of raw.entries.entries()) {
    if (!isObject(e) || typeof e.name !== 'string') return bad(`entry ${i} of its manifest has no name`);
    const kind = kindOfEntryName(e.name);
    if (kind === undefined) return bad(`its manifest lists "${e.name.slice(0, 120)}", which is not an entry a Slipway backup holds`);
    if (e.kind !== kind) return bad(`its manifest gives "${e.name}" the kind ${String(e.kind)}, not ${kind}`);
    if (!isCount(e.size) || typeof e.sha256 !== 'string' || !HEX64.test(e.sha256)) return bad(`its manifest has a malformed size or sha256 for "${e.name}"`);
    if (seen.has(e.name)) return bad(`its manifest lists "${e.name}" twice`);
    seen.add(e.name);
    entries.push({ name: e.name, kind, size: e.size, sha256: e.sha256 });
  }
  if (!entries.some((e) => e.kind === 'database')) return bad('its manifest lists no database');
  return {
    ok: true,
    value: {
      format: BACKUP_FORMAT,
      formatVersion: raw.formatVersion,
      slipwayVersion: raw.slipwayVersion as string,
      createdAt: raw.createdAt as string,
      homeId: raw.homeId as string,
      schemaVersion: raw.schemaVersion,
      secretKeyIds: raw.secretKeyIds as string[],
      allArtifacts: raw.allArtifacts,
      counts: Object.fromEntries(countKeys.map((k) => [k, counts[k] as number])) as BackupManifest['counts'],
      entries,
    },
  };
}

/** What was found for one entry while reading an archive. */
export interface FoundEntry {
  name: string;
  size: number;
  sha256: string;
}

/**
 * Compares what an archive holds with its manifest, in the archive's order: the first entry not
 * listed, listed twice, or whose size or digest differs is named; then any listed entry missing.
 */
export function checkEntry(manifest: BackupManifest, found: FoundEntry): Checked<BackupEntry> {
  const listed = manifest.entries.find((e) => e.name === found.name);
  if (listed === undefined) return { ok: false, message: `entry "${found.name.slice(0, 120)}" is not listed in the manifest` };
  if (listed.size !== found.size || listed.sha256 !== found.sha256) {
    return { ok: false, message: `entry "${found.name}" failed its digest: the manifest gives sha256:${listed.sha256} (${listed.size} bytes), its bytes hash to sha256:${found.sha256} (${found.size} bytes)` };
  }
  return { ok: true, value: listed };
}

/** The listed entries an archive did not hold (after a complete read). */
export const missingEntries = (manifest: BackupManifest, seen: ReadonlySet<string>): string[] => manifest.entries.filter((e) => !seen.has(e.name)).map((e) => e.name);
