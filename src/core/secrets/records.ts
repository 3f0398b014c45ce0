// The shapes of stored secrets: a sealed (encrypted) version, a tombstone left by `rm`, and the
// metadata that may be shown. Values never appear in any of these types except as ciphertext.

/** How every master key file begins; the packer refuses a file that does (no key goes into an artifact). */
export const KEY_FILE_HEADER = '# Slipway master key';

/** Slipway's state directory: never part of an artifact. */
export const HOME_DIR_NAME = '.slipway';

/** The one algorithm in use; stored on every record so that a later one can sit beside it. */
export const SECRET_ALG = 'AES-256-GCM+HKDF-SHA256';
export type SecretAlg = typeof SECRET_ALG;

/** Which secret a version belongs to. `version` starts at 1 and is never reused, even after `rm`. */
export interface SecretCoordinates {
  env: string;
  name: string;
  version: number;
}

/**
 * One encrypted version of a secret. Binary fields are base64. `keyId` names the master key the
 * record was sealed under; it is authenticated with the ciphertext, as are env, name and version.
 */
export interface SealedRecord extends SecretCoordinates {
  alg: SecretAlg;
  keyId: string;
  /** HKDF salt, 16 random bytes. */
  salt: string;
  /** AES-GCM nonce, 12 random bytes. */
  nonce: string;
  ciphertext: string;
  /** AES-GCM authentication tag, 16 bytes. */
  tag: string;
}

/** A stored version: a sealed value, or the tombstone that `rm` writes so that history stays. */
export type SecretRecord =
  | (SealedRecord & { kind: 'value'; createdAt: string })
  | (SecretCoordinates & { kind: 'tombstone'; createdAt: string });

/** What may be shown about the current version of a secret: never its value. */
export interface SecretMeta {
  env: string;
  name: string;
  version: number;
  /** When this version was written (ISO 8601). */
  updatedAt: string;
  keyId: string;
}

/** The secret versions a release used, by name: what a release records instead of values. */
export type SecretVersions = Record<string, number>;

/** Metadata of a value record. */
export function metaOf(record: SealedRecord & { createdAt: string }): SecretMeta {
  return { env: record.env, name: record.name, version: record.version, updatedAt: record.createdAt, keyId: record.keyId };
}
