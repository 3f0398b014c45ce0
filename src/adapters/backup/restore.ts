// `slipway restore`: a backup made into a new, empty home. Everything is unpacked and checked in a
// staging folder beside the home — every digest, the format and schema versions, and that the
// master key opens the secrets (by key id and by decrypting one record) — and only then renamed
// into place; any failure removes the staging folder, so a refused restore leaves nothing behind.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { BackupManifest } from '../../core/backup/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import type { SealedRecord } from '../../core/secrets/records.js';
import { homeIdOf, homePaths } from '../../home/paths.js';
import { decryptSecret } from '../../secrets/crypto.js';
import { installKeyFile, keyFilePath, loadMasterKey, MASTER_KEY_FILE_VAR, MASTER_KEY_VAR } from '../../secrets/master-key.js';
import { migrations } from '../store/sqlite/migrations.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import { runGit } from '../vcs/git/run.js';
import { readBackupArchive } from './archive.js';
import { openMasterKey } from './sealed-key.js';

export interface RestoreOptions {
  home: string;
  file: string;
  /** Where SLIPWAY_MASTER_KEY, SLIPWAY_MASTER_KEY_FILE and the key file's folder are read from. */
  env: NodeJS.ProcessEnv;
  /** Asked only when the key is not in its usual place and the backup carries a sealed one. */
  passphrase: () => Promise<Buffer>;
  /** Who restored, for the event recorded in the restored chain. */
  actor: string;
  now?: () => Date;
}

export interface RestoreReport {
  home: string;
  homeId: string;
  ms: number;
  manifest: BackupManifest;
  /** Where the master key came from: its usual place, the backup (with the passphrase), or none needed. */
  key: { source: 'env' | 'file' | 'backup' | 'none'; keyId?: string; keyFile?: string };
}

const SCHEMA_KNOWN = Math.max(...migrations.map((m) => m.version));

/** Refuses a home that holds anything; an absent home (or an empty folder) is fine. */
async function expectEmptyHome(home: string): Promise<boolean> {
  const st = await stat(home).catch(() => null);
  if (st === null) return false;
  if (!st.isDirectory()) throw new SlipwayError('refused', `${home} exists and is not a folder; restore only into an empty home; nothing was written`);
  const names = await readdir(home);
  if (names.length > 0) {
    throw new SlipwayError('refused', `the home ${home} is not empty (it holds ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}); restore only into an empty home; nothing was written`, 'set SLIPWAY_HOME to a new folder, or move this home away first');
  }
  return true;
}

/** Restores `file` into the empty home `home`; see the module comment. */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreReport> {
  const t0 = performance.now();
  const home = resolve(opts.home);
  const file = resolve(opts.file);
  const existed = await expectEmptyHome(home);
  const parent = dirname(home);
  const madeParent = !existsSync(parent);
  if (madeParent) await mkdir(parent, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(parent, `.${basename(home)}.restore-`));
  let keyFileWritten: string | undefined;
  try {
    const { manifest, kept } = await readBackupArchive(file, {
      extractTo: staging,
      keep: (name) => name === 'master-key.sealed',
      onManifest: (m) => {
        if (m.schemaVersion > SCHEMA_KNOWN) {
          throw new SlipwayError('refused', `the backup ${file} holds a database of schema version ${m.schemaVersion}, written by Slipway ${m.slipwayVersion}; this Slipway knows up to ${SCHEMA_KNOWN}; nothing was restored`, 'restore it with that Slipway version or a newer one');
        }
      },
    });
    const db = join(staging, 'slipway.db');
    await rename(join(staging, 'db', 'slipway.db'), db);
    await rm(join(staging, 'db'), { recursive: true, force: true });
    await chmod(db, 0o600);

    const key = await resolveKey(opts, home, manifest, kept.get('master-key.sealed'));
    if (key !== undefined) openOneRecord(db, key.key, key.keyId);
    await rm(join(staging, 'master-key.sealed'), { force: true });

    forgetMachineState(db);
    const store = openSqliteStore(db);
    try {
      await store.appendEvent(
        { kind: 'restore', actor: opts.actor, subject: 'restore', data: { fromHomeId: manifest.homeId, backupCreatedAt: manifest.createdAt, slipwayVersion: manifest.slipwayVersion, formatVersion: manifest.formatVersion } },
        (opts.now?.() ?? new Date()).toISOString(),
      );
    } finally {
      await store.close();
    }

    await restoreRepository(staging);
    await settleModes(staging);

    if (key?.source === 'backup') {
      keyFileWritten = await installKeyFile(home, key.key, opts.env);
    }
    key?.key.fill(0);
    if (existed) await rmdir(home);
    await rename(staging, home);
    const dir = await open(parent, 'r');
    await dir.sync().finally(() => dir.close());
    return {
      home,
      homeId: homeIdOf(home),
      ms: Math.round(performance.now() - t0),
      manifest,
      key: key === undefined ? { source: 'none' } : { source: key.source, keyId: key.keyId, ...(keyFileWritten ? { keyFile: keyFileWritten } : key.path ? { keyFile: key.path } : {}) },
    };
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    if (keyFileWritten !== undefined) await unlink(keyFileWritten).catch(() => undefined);
    if (madeParent) await rmdir(parent).catch(() => undefined);
    throw e;
  }
}

interface FoundKey {
  key: Buffer;
  keyId: string;
  source: 'env' | 'file' | 'backup';
  path?: string;
}

/**
 * The master key that opens the backup's secrets: SLIPWAY_MASTER_KEY or the key file (its usual
 * place, which SLIPWAY_MASTER_KEY_FILE may name) when there is one, else the backup's sealed key
 * with the passphrase. Undefined when the backup holds no secret.
 */
async function resolveKey(opts: RestoreOptions, home: string, manifest: BackupManifest, sealed: Buffer | undefined): Promise<FoundKey | undefined> {
  const ids = manifest.secretKeyIds;
  if (ids.length === 0) return undefined;
  const usual = opts.env[MASTER_KEY_VAR] !== undefined || existsSync(keyFilePath(home, opts.env));
  if (usual) {
    const mk = await loadMasterKey({ home, env: opts.env, create: false, existingKeyIds: ids });
    return { key: mk.key, keyId: mk.keyId, source: mk.source, ...(mk.path ? { path: mk.path } : {}) };
  }
  if (sealed === undefined) {
    throw new SlipwayError(
      'config',
      `the backup's secrets are sealed under the master key with key id ${ids.join(', ')}, and it carries no master key; nothing was restored`,
      `set ${MASTER_KEY_VAR} to that key or ${MASTER_KEY_FILE_VAR} to its key file (or take the backup with --include-master-key)`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(sealed.toString('utf8'));
  } catch {
    throw new SlipwayError('corrupt', 'the sealed master key in the backup is not valid JSON; nothing was restored');
  }
  const passphrase = await opts.passphrase();
  try {
    const { key, keyId } = openMasterKey(raw, passphrase);
    if (!ids.includes(keyId)) {
      throw new SlipwayError('refused', `the master key sealed in the backup has key id ${keyId}, but its secrets are sealed under ${ids.join(', ')}; nothing was restored`, `set ${MASTER_KEY_VAR} to the key with id ${ids.join(', ')}`);
    }
    return { key, keyId, source: 'backup' };
  } finally {
    passphrase.fill(0);
  }
}

/** Decrypts one secret record of the restored database with `key`: the proof that it is the right key. */
function openOneRecord(dbFile: string, key: Buffer, keyId: string): void {
  const db = new Database(dbFile, { readonly: true });
  let row: Record<string, unknown> | undefined;
  try {
    row = db.prepare("SELECT env, name, version, alg, key_id, salt, nonce, ciphertext, tag FROM secret_records WHERE kind = 'value' AND key_id = ? ORDER BY env, name, version LIMIT 1").get(keyId) as Record<string, unknown> | undefined;
  } finally {
    db.close();
  }
  if (row === undefined) return;
  const record = { alg: row.alg, keyId: row.key_id, env: row.env, name: row.name, version: row.version, salt: row.salt, nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag } as SealedRecord;
  const opened = decryptSecret(key, record);
  if (!opened.ok) {
    throw new SlipwayError('refused', `the master key (key id ${keyId}) does not open the backup's secrets: ${opened.message}; nothing was restored`, `set ${MASTER_KEY_VAR} to the key the backup's secrets were sealed with`);
  }
  opened.value.fill(0);
}

/**
 * What the database knew of the old machine, not of the releases: the instances it ran (their
 * process ids mean nothing here; `slipway up` starts them again) and the locks it held.
 */
function forgetMachineState(dbFile: string): void {
  const db = new Database(dbFile);
  try {
    db.exec('DELETE FROM instances; DELETE FROM leases;');
  } finally {
    db.close();
  }
}

/** The canonical repository from its bundle: a bare repository with every ref, no remote. */
async function restoreRepository(staging: string): Promise<void> {
  const bundle = join(staging, 'repo', 'canonical.bundle');
  if (!existsSync(bundle)) return;
  const target = homePaths(staging).canonicalRepo;
  const clone = await runGit(['clone', '--quiet', '--mirror', bundle, target]);
  if (clone.code !== 0) throw new SlipwayError('failed', `cannot restore the canonical repository from its bundle: ${clone.stderr.trim()}; nothing was restored`);
  // Not `git remote remove`: with a mirror's refspec it would delete every ref.
  const unset = await runGit(['--git-dir', target, 'config', '--remove-section', 'remote.origin']);
  if (unset.code !== 0) throw new SlipwayError('failed', `cannot restore the canonical repository: ${unset.stderr.trim()}`);
  await rm(join(staging, 'repo'), { recursive: true, force: true });
}

/** The modes the home's own writers give: blobs and their manifests read-only, the signing public key readable. */
async function settleModes(staging: string): Promise<void> {
  await chmod(staging, 0o700);
  const store = join(staging, 'artifacts', 'sha256');
  for (const name of await readdir(store).catch(() => [] as string[])) await chmod(join(store, name), 0o444);
  if (existsSync(join(staging, 'artifacts'))) {
    await chmod(join(staging, 'artifacts'), 0o755);
    await chmod(store, 0o755);
  }
  if (existsSync(join(staging, 'keys'))) await chmod(join(staging, 'keys'), 0o700);
  if (existsSync(join(staging, 'keys', 'signing.pub'))) await chmod(join(staging, 'keys', 'signing.pub'), 0o644);
}
