// `slipway backup`: one consistent archive of a home, taken while the control plane may be
// deploying. The database is copied with SQLite's online backup from a read-only connection (a
// snapshot other processes keep writing past); what the archive holds besides is chosen from that
// snapshot: the artifacts its releases and deployments reference (or all), the canonical
// repository as a git bundle, the provenance signing key; the master key only when asked, sealed.

import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, type BackupManifest } from '../../core/backup/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import { homeIdOf, homePaths } from '../../home/paths.js';
import { loadMasterKey } from '../../secrets/master-key.js';
import { VERSION } from '../../version.js';
import { keyPaths } from '../signing/ed25519.js';
import { runGit } from '../vcs/git/run.js';
import { describeEntries, writeBackupArchive, type EntrySource } from './archive.js';
import { sealMasterKey } from './sealed-key.js';

export interface CreateBackupOptions {
  home: string;
  file: string;
  /** Every stored artifact, not only the referenced ones. */
  all?: boolean;
  /** Seal the master key into the archive under a passphrase (asked only after the key is found). */
  includeMasterKey?: { env: NodeJS.ProcessEnv; passphrase: () => Promise<Buffer> };
  now?: () => Date;
}

export interface BackupReport {
  file: string;
  bytes: number;
  ms: number;
  manifest: BackupManifest;
  /** Artifacts a release or deployment references that were not in the store (left out). */
  missingArtifacts: string[];
}

interface Snapshot {
  schemaVersion: number;
  digests: string[];
  secretKeyIds: string[];
  counts: Omit<BackupManifest['counts'], 'artifacts'>;
}

/** Reads, from the snapshot (our own copy), what the manifest says and which artifacts to take. */
const readSnapshot = (file: string): Snapshot => {
  const db = new Database(file);
  try {
    // Our copy leaves WAL mode, so that it is one self-contained file.
    db.pragma('journal_mode = DELETE');
    const one = (sql: string): number => (db.prepare(sql).get() as { n: number | null }).n ?? 0;
    const column = (sql: string): string[] => (db.prepare(sql).all() as { v: string }[]).map((r) => r.v);
    return {
      schemaVersion: one('SELECT MAX(version) AS n FROM schema_migrations'),
      digests: column('SELECT digest AS v FROM releases UNION SELECT digest AS v FROM deployments ORDER BY v'),
      secretKeyIds: column("SELECT DISTINCT key_id AS v FROM secret_records WHERE kind = 'value' AND key_id IS NOT NULL ORDER BY v"),
      counts: {
        environments: one('SELECT COUNT(*) AS n FROM env_state'),
        releases: one('SELECT COUNT(*) AS n FROM releases'),
        deployments: one('SELECT COUNT(*) AS n FROM deployments'),
        events: one('SELECT COUNT(*) AS n FROM events'),
        secretVersions: one("SELECT COUNT(*) AS n FROM secret_records WHERE kind = 'value'"),
      },
    };
  } finally {
    db.close();
  }
};

const HEX64 = /^[0-9a-f]{64}$/;

/** Writes the backup of `home` to `file`; see the module comment for what it holds. */
export async function createBackup(opts: CreateBackupOptions): Promise<BackupReport> {
  const t0 = performance.now();
  const home = resolve(opts.home);
  const file = resolve(opts.file);
  const paths = homePaths(home);
  if (!existsSync(paths.db)) throw new SlipwayError('not_found', `there is no Slipway home to back up at ${home} (no slipway.db)`, 'run the backup inside the app’s repository, or set SLIPWAY_HOME');
  if (existsSync(file) && !statSync(file).isFile()) throw new SlipwayError('usage', `${file} exists and is not a file; nothing was written`);
  if (!existsSync(dirname(file))) throw new SlipwayError('usage', `the folder of ${file} does not exist; nothing was written`);
  const createdAt = (opts.now?.() ?? new Date()).toISOString();
  const staging = await mkdtemp(join(dirname(file), '.slipway-backup-'));
  try {
    const snapshotFile = join(staging, 'slipway.db');
    const source = new Database(paths.db, { readonly: true, fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      // Every page in one step, under one read transaction: a snapshot of one moment that writers
      // cannot make restart (stepwise copies start over whenever another process writes).
      await source.backup(snapshotFile, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    const snap = readSnapshot(snapshotFile);
    const sources: EntrySource[] = [{ name: 'db/slipway.db', kind: 'database', file: snapshotFile }];

    // The canonical repository after the snapshot: every commit the snapshot names is in it.
    const bundle = await bundleCanonical(paths.canonicalRepo, join(staging, 'canonical.bundle'));
    if (bundle !== undefined) sources.push({ name: 'repo/canonical.bundle', kind: 'repository', file: bundle });

    const keys = keyPaths(home);
    for (const [name, path] of [['keys/signing.key', keys.privateKey], ['keys/signing.pub', keys.publicKey]] as const) {
      if (existsSync(path)) sources.push({ name, kind: 'signing-key', file: path });
    }

    const store = join(paths.artifacts, 'sha256');
    const stored = new Set((await readdir(store).catch(() => [] as string[])).filter((n) => HEX64.test(n)));
    const wanted = opts.all === true ? [...stored].sort() : snap.digests.map((d) => d.replace(/^sha256:/, '')).filter((h) => HEX64.test(h));
    const missingArtifacts: string[] = [];
    let artifacts = 0;
    for (const hex of wanted) {
      if (!stored.has(hex)) {
        missingArtifacts.push(`sha256:${hex}`);
        continue;
      }
      artifacts++;
      sources.push({ name: `artifacts/sha256/${hex}`, kind: 'artifact', file: join(store, hex) });
      for (const suffix of ['.manifest.json', '.provenance.json']) {
        if (existsSync(join(store, hex + suffix))) sources.push({ name: `artifacts/sha256/${hex}${suffix}`, kind: 'artifact', file: join(store, hex + suffix) });
      }
    }

    if (opts.includeMasterKey !== undefined) {
      const mk = await loadMasterKey({ home, env: opts.includeMasterKey.env, create: false, existingKeyIds: snap.secretKeyIds });
      const passphrase = await opts.includeMasterKey.passphrase();
      try {
        sources.push({ name: 'master-key.sealed', kind: 'master-key', data: Buffer.from(`${JSON.stringify(sealMasterKey(mk.key, passphrase), null, 2)}\n`) });
      } finally {
        passphrase.fill(0);
        mk.key.fill(0);
      }
    }

    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      slipwayVersion: VERSION,
      createdAt,
      homeId: homeIdOf(home),
      schemaVersion: snap.schemaVersion,
      secretKeyIds: snap.secretKeyIds,
      allArtifacts: opts.all === true,
      counts: { ...snap.counts, artifacts },
      entries: await describeEntries(sources),
    };
    const bytes = await writeBackupArchive(file, manifest, sources);
    return { file, bytes, ms: Math.round(performance.now() - t0), manifest, missingArtifacts };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** `git bundle create --all` of the canonical repository; undefined when there is none or it has no refs. */
async function bundleCanonical(gitDir: string, out: string): Promise<string | undefined> {
  if (!existsSync(join(gitDir, 'HEAD'))) return undefined;
  const refs = await runGit(['--git-dir', gitDir, 'for-each-ref', '--count=1', '--format=%(refname)']);
  if (refs.code !== 0) throw new SlipwayError('failed', `cannot read the canonical repository ${gitDir}: ${refs.stderr.trim()}`);
  if (refs.stdout.trim() === '') return undefined;
  const r = await runGit(['--git-dir', gitDir, 'bundle', 'create', '--quiet', out, '--all']);
  if (r.code !== 0) throw new SlipwayError('failed', `cannot bundle the canonical repository ${gitDir}: ${r.stderr.trim()}`);
  return out;
}
