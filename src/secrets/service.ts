// Secrets as the CLI and the engine use them: set, remove, list (never values), resolve for
// injection into a process, and re-encrypt everything under a new master key. Built over the
// SecretsStore port; values exist in clear only in memory, on their way into a process.

import { SlipwayError } from '../core/errors.js';
import { checkEnvName, type NameCheck } from '../core/env-name.js';
import { checkSecretName } from '../core/secrets/names.js';
import type { SecretMeta, SecretRecord, SecretVersions } from '../core/secrets/records.js';
import { checkSecretValue } from '../core/secrets/values.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { SecretsStore } from '../ports/secrets.js';
import type { SecretListing } from '../ports/env-config.js';
import { decryptSecret, encryptSecret, keyIdOf, type OpenResult } from './crypto.js';

export type { SecretListing } from '../ports/env-config.js';

/** Secret values for a process, with the versions a release records instead of the values. */
export interface ResolvedSecrets {
  values: Record<string, string>;
  versions: SecretVersions;
}

export interface RotationResult {
  /** Value records re-encrypted (every version, not only the latest). */
  rewritten: number;
  fromKeyIds: string[];
  toKeyId: string;
}

export interface SecretsService {
  /** Key id of the master key in use, or undefined when the service was made without one. */
  readonly keyId: string | undefined;
  /**
   * Stores a new version of `name` in `env`. Unless `exact`, one trailing newline is trimmed
   * (see checkSecretValue). Throws SlipwayError 'usage' for a bad env, name or value.
   */
  set(env: string, name: string, value: Buffer, opts?: { exact?: boolean }): Promise<SecretMeta>;
  /** Removes a secret by writing a tombstone version; earlier versions stay for old releases. */
  rm(env: string, name: string): Promise<{ name: string; version: number }>;
  /** The live secrets of `env`: names, versions, dates and key ids — never values. Needs no key. */
  list(env: string): Promise<SecretListing[]>;
  /**
   * The current values of `names` (default: every live secret of `env`), all or nothing: a
   * missing name is 'not_found', a wrong key 'refused' (naming the key ids), a damaged record
   * 'corrupt' (naming the secret and version).
   */
  resolve(env: string, names?: readonly string[]): Promise<ResolvedSecrets>;
  /** The exact versions a release recorded, for redeploying or rolling back to it. */
  resolveVersions(env: string, versions: SecretVersions): Promise<ResolvedSecrets>;
  /**
   * Re-encrypts every version of every secret under `newKey`, all or nothing: everything is
   * decrypted first, and one failure leaves the store untouched. Afterwards this service uses
   * `newKey`. The caller installs the new key (stageKeyRotation) only after this resolves.
   */
  rotateKey(newKey: Buffer): Promise<RotationResult>;
}

export interface SecretsServiceOptions {
  store: SecretsStore;
  /** 32 bytes; list and rm work without it. */
  masterKey?: Buffer;
  clock?: Clock;
}

const PUT_ATTEMPTS = 5;

function usage(check: NameCheck): void {
  if (!check.ok) throw new SlipwayError('usage', check.message, check.hint);
}

function openFailure(r: Exclude<OpenResult, { ok: true }>, keyId: string): SlipwayError {
  return r.reason === 'wrong-key'
    ? new SlipwayError('refused', `${r.message}; nothing was decrypted`, `set SLIPWAY_MASTER_KEY or restore the key file of the key that sealed it; the key in use has key id ${keyId}`)
    : new SlipwayError('corrupt', `${r.message}; nothing was decrypted`, 'restore the secrets from a backup, or set this secret again with `slipway secrets set`');
}

/** Creates the service. See SecretsService for each operation's contract. */
export function createSecretsService(opts: SecretsServiceOptions): SecretsService {
  const { store } = opts;
  const clock = opts.clock ?? systemClock;
  let masterKey = opts.masterKey;
  let keyId = masterKey && keyIdOf(masterKey);

  const requireKey = (): { key: Buffer; id: string } => {
    if (!masterKey || !keyId) throw new SlipwayError('config', 'no master key was given', 'set SLIPWAY_MASTER_KEY or create the key file with `slipway secrets set`');
    return { key: masterKey, id: keyId };
  };

  const open = (record: SecretRecord, key: Buffer, id: string): Buffer => {
    if (record.kind !== 'value') throw new SlipwayError('not_found', `secret ${record.name} version ${record.version} in ${record.env} was removed`);
    const r = decryptSecret(key, record);
    if (!r.ok) throw openFailure(r, id);
    return r.value;
  };

  /** Opens every record before returning any value, so that a failure yields nothing. */
  const openAll = (records: SecretRecord[]): ResolvedSecrets => {
    const { key, id } = requireKey();
    const values: Record<string, string> = {};
    const versions: SecretVersions = {};
    for (const r of records) {
      values[r.name] = open(r, key, id).toString('utf8');
      versions[r.name] = r.version;
    }
    return { values, versions };
  };

  return {
    get keyId() {
      return keyId;
    },

    async set(env, name, value, setOpts = {}) {
      usage(checkEnvName(env));
      usage(checkSecretName(name));
      const checked = checkSecretValue(value, setOpts);
      if (!checked.ok) throw new SlipwayError('usage', checked.message, checked.hint);
      const { key, id } = requireKey();
      const others = (await store.keyIds()).filter((k) => k !== id);
      if (others.length > 0) {
        throw new SlipwayError('refused', `the stored secrets were encrypted with key id ${others.join(', ')}, but the master key in use has key id ${id}; nothing was written`, 'use the master key the secrets were sealed with');
      }
      for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
        const version = ((await store.latest(env, name))?.version ?? 0) + 1;
        const createdAt = clock.now().toISOString();
        const sealed = encryptSecret(key, id, { env, name, version }, checked.value);
        const put = await store.put({ ...sealed, kind: 'value', createdAt });
        if (put.ok) return { env, name, version, updatedAt: createdAt, keyId: id };
      }
      throw new SlipwayError('conflict', `secret ${name} in ${env} is being changed by someone else`, 'try again');
    },

    async rm(env, name) {
      usage(checkEnvName(env));
      usage(checkSecretName(name));
      for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
        const latest = await store.latest(env, name);
        if (latest?.kind !== 'value') throw new SlipwayError('not_found', `secret ${name} is not set in ${env}`, `see \`slipway secrets list ${env}\``);
        const version = latest.version + 1;
        const put = await store.put({ kind: 'tombstone', env, name, version, createdAt: clock.now().toISOString() });
        if (put.ok) return { name, version };
      }
      throw new SlipwayError('conflict', `secret ${name} in ${env} is being changed by someone else`, 'try again');
    },

    async list(env) {
      usage(checkEnvName(env));
      return (await store.list(env)).map(({ name, version, updatedAt, keyId: k }) => ({ name, version, updatedAt, keyId: k }));
    },

    async resolve(env, names) {
      usage(checkEnvName(env));
      requireKey();
      names?.forEach((n) => usage(checkSecretName(n)));
      const wanted = names ? [...new Set(names)] : (await store.list(env)).map((m) => m.name);
      const records = await Promise.all(wanted.map(async (name) => ({ name, record: await store.latest(env, name) })));
      const missing = records.filter((r) => r.record?.kind !== 'value').map((r) => r.name);
      if (missing.length > 0) {
        throw new SlipwayError('not_found', `secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set in ${env}`, `set ${missing.length > 1 ? 'them' : 'it'} with \`slipway secrets set ${env} ${missing[0] ?? ''}\` (the value is read from stdin)`);
      }
      return openAll(records.map((r) => r.record as SecretRecord));
    },

    async resolveVersions(env, versions) {
      usage(checkEnvName(env));
      requireKey();
      const records: SecretRecord[] = [];
      for (const [name, version] of Object.entries(versions)) {
        usage(checkSecretName(name));
        const record = await store.get(env, name, version);
        if (!record) throw new SlipwayError('not_found', `secret ${name} version ${version} does not exist in ${env}`, 'the release refers to a secret version this store does not hold; restore it from a backup');
        records.push(record);
      }
      return openAll(records);
    },

    async rotateKey(newKey) {
      const { key, id } = requireKey();
      if (newKey.length !== 32) throw new SlipwayError('usage', `the new master key must be 32 bytes, got ${newKey.length}`);
      const newId = keyIdOf(newKey);
      if (newId === id) throw new SlipwayError('usage', 'the new master key is the key in use', 'generate a new key');
      const records = await store.all();
      const fromKeyIds = [...new Set(records.flatMap((r) => (r.kind === 'value' ? [r.keyId] : [])))].sort();
      // Decrypt everything first: one record that cannot be opened stops the rotation before any write.
      const opened = records.map((r) => ({ record: r, value: r.kind === 'value' ? open(r, key, id) : undefined }));
      const resealed: SecretRecord[] = opened.map(({ record, value }) =>
        record.kind === 'value' && value ? { ...encryptSecret(newKey, newId, record, value), kind: 'value', createdAt: record.createdAt } : record,
      );
      const write = await store.replaceAll(resealed);
      if (!write.ok) throw new SlipwayError('conflict', `${write.message}; the key was not rotated`, 'run `slipway secrets rotate-key` again');
      masterKey = newKey;
      keyId = newId;
      return { rewritten: opened.filter((o) => o.value).length, fromKeyIds, toKeyId: newId };
    },
  };
}
