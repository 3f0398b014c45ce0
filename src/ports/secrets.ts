// The secrets store port: where sealed secret versions are kept. The store only ever sees
// ciphertext; encryption, names and masking live in src/secrets. The embedded adapter is SQLite;
// tests use the in-memory one (src/secrets/memory-store.ts). Every adapter passes the shared
// contract suite in src/secrets/store-contract.ts.

import type { SecretMeta, SecretRecord } from '../core/secrets/records.js';

export type { SealedRecord, SecretMeta, SecretRecord, SecretVersions } from '../core/secrets/records.js';

/** A write refused because someone else wrote first; nothing was changed. */
export type StoreWrite = { ok: true } | { ok: false; reason: 'conflict'; message: string };

/**
 * Keeps every version of every secret, per environment. Versions are append-only: a record is
 * never changed once written, except by `replaceAll` during a key rotation (same coordinates,
 * new ciphertext). Durable when the returned promise resolves.
 */
export interface SecretsStore {
  /**
   * Appends a version (a sealed value or a tombstone). Refuses with `conflict`, writing nothing,
   * when (env, name, version) already exists — two writers raced and the caller should retry.
   */
  put(record: SecretRecord): Promise<StoreWrite>;
  /** The highest version of a secret, tombstone included; undefined when it never existed. */
  latest(env: string, name: string): Promise<SecretRecord | undefined>;
  /** One exact version, or undefined. */
  get(env: string, name: string, version: number): Promise<SecretRecord | undefined>;
  /**
   * The current version of every secret in `env` whose latest version is a value (removed
   * secrets are left out), sorted by name. Metadata only: no ciphertext leaves through here.
   */
  list(env: string): Promise<SecretMeta[]>;
  /** Every record of every environment, all versions, tombstones included: for key rotation and backup. */
  all(): Promise<SecretRecord[]>;
  /** The distinct key ids that value records are sealed under (empty when there are none). */
  keyIds(): Promise<string[]>;
  /**
   * Replaces the stored records with `records`, all at once or not at all. Refuses with
   * `conflict`, writing nothing, unless `records` has exactly the same (env, name, version)
   * set as the store holds now — so a secret set or removed during a rotation is never lost.
   */
  replaceAll(records: SecretRecord[]): Promise<StoreWrite>;
}
