// Sealing secret values with node:crypto: AES-256-GCM under a key derived per record with
// HKDF-SHA256 from the master key, bound to the environment and name; the additional
// authenticated data binds env, name, version and key id, so a record copied to another place,
// version or key fails to open.

import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { SECRET_ALG, type SealedRecord, type SecretCoordinates } from '../core/secrets/records.js';

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export type OpenResult =
  | { ok: true; value: Buffer }
  | { ok: false; reason: 'wrong-key' | 'corrupt'; message: string };

/** Names a master key without revealing it: first 16 hex of sha256("slipway-key-id" ‖ key). */
export function keyIdOf(masterKey: Buffer): string {
  return createHash('sha256').update('slipway-key-id').update(masterKey).digest('hex').slice(0, 16);
}

function assertMasterKey(masterKey: Buffer): void {
  // A bug, not user input: master keys are checked when they are loaded.
  if (masterKey.length !== KEY_BYTES) throw new TypeError(`master key must be ${KEY_BYTES} bytes, got ${masterKey.length}`);
}

function recordKey(masterKey: Buffer, salt: Buffer, env: string, name: string): Buffer {
  const info = Buffer.from(`slipway/secret/v1\0${env}\0${name}`, 'utf8');
  return Buffer.from(hkdfSync('sha256', masterKey, salt, info, KEY_BYTES));
}

/** JSON of a fixed-order array: unambiguous whatever the strings hold. */
function aadOf(keyId: string, at: SecretCoordinates): Buffer {
  return Buffer.from(JSON.stringify(['slipway/secret/v1', SECRET_ALG, keyId, at.env, at.name, at.version]), 'utf8');
}

const label = (at: SecretCoordinates): string => `secret ${at.name} (version ${at.version}) of ${at.env}`;

/** Encrypts one version of a secret under `masterKey` (32 bytes), with a fresh salt and nonce. */
export function encryptSecret(masterKey: Buffer, keyId: string, at: SecretCoordinates, plaintext: Buffer): SealedRecord {
  assertMasterKey(masterKey);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', recordKey(masterKey, salt, at.env, at.name), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadOf(keyId, at));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    alg: SECRET_ALG,
    keyId,
    env: at.env,
    name: at.name,
    version: at.version,
    salt: salt.toString('base64'),
    nonce: nonce.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeField(value: unknown, bytes: number | undefined): Buffer | undefined {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  const buf = Buffer.from(value, 'base64');
  return bytes === undefined || buf.length === bytes ? buf : undefined;
}

/**
 * Opens a sealed record. `wrong-key` when it was sealed under another master key (its key id
 * differs); `corrupt` when it is malformed or fails authentication (changed ciphertext, tag,
 * nonce or salt, or moved to another env, name or version). Never throws on a bad record.
 */
export function decryptSecret(masterKey: Buffer, record: SealedRecord): OpenResult {
  assertMasterKey(masterKey);
  const at = label(record);
  const keyId = keyIdOf(masterKey);
  if (record.alg !== SECRET_ALG) {
    return { ok: false, reason: 'corrupt', message: `${at} uses unknown algorithm ${JSON.stringify(record.alg)}` };
  }
  if (record.keyId !== keyId) {
    return { ok: false, reason: 'wrong-key', message: `${at} was encrypted with key id ${String(record.keyId)}, but the master key in use has key id ${keyId}` };
  }
  const salt = decodeField(record.salt, SALT_BYTES);
  const nonce = decodeField(record.nonce, NONCE_BYTES);
  const tag = decodeField(record.tag, TAG_BYTES);
  const ciphertext = decodeField(record.ciphertext, undefined);
  if (!salt || !nonce || !tag || !ciphertext) {
    return { ok: false, reason: 'corrupt', message: `${at} is malformed: salt, nonce, tag or ciphertext is not base64 of the right length` };
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', recordKey(masterKey, salt, record.env, record.name), nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadOf(record.keyId, record));
    decipher.setAuthTag(tag);
    const value = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return { ok: true, value };
  } catch {
    return { ok: false, reason: 'corrupt', message: `${at} failed authentication: the stored record was changed or moved` };
  }
}
