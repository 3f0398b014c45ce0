// The master key as a backup may carry it (`--include-master-key`): sealed with AES-256-GCM under a
// key derived from a passphrase with scrypt, the key id bound as additional data. Only these bytes
// ever reach the archive; the passphrase and the key itself never do.

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { SlipwayError } from '../../core/errors.js';
import { keyIdOf } from '../../secrets/crypto.js';

const FORMAT = 'slipway-sealed-master-key';
const SCRYPT = { N: 1 << 17, r: 8, p: 1 };
/** Largest cost accepted when reading: a hostile archive must not make restore use gigabytes. */
const MAX_N = 1 << 20;
const MIN_PASSPHRASE = 12;

export interface SealedKey {
  format: typeof FORMAT;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  nonce: string;
  ciphertext: string;
  tag: string;
  /** The key id of the sealed key, so a wrong key is named without opening it. */
  keyId: string;
}

const aad = (keyId: string): Buffer => Buffer.from(JSON.stringify([FORMAT, 'v1', keyId]), 'utf8');
const derive = (passphrase: Buffer, salt: Buffer, p: { N: number; r: number; p: number }): Buffer =>
  scryptSync(passphrase, salt, 32, { ...p, maxmem: 256 * p.N * p.r + (1 << 20) });

/** Refuses a passphrase too short to stand against guessing; the message never repeats it. */
export function checkPassphrase(passphrase: Buffer): void {
  if (passphrase.length < MIN_PASSPHRASE) {
    throw new SlipwayError('usage', `the passphrase is ${passphrase.length === 0 ? 'empty' : `${passphrase.length} characters long`}; it must be at least ${MIN_PASSPHRASE}; nothing was written`, 'pipe a long passphrase on stdin: printf %s "$PASSPHRASE" | slipway backup FILE --include-master-key');
  }
}

/** Seals `key` (32 bytes) under `passphrase`. */
export function sealMasterKey(key: Buffer, passphrase: Buffer): SealedKey {
  checkPassphrase(passphrase);
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const keyId = keyIdOf(key);
  const cipher = createCipheriv('aes-256-gcm', derive(passphrase, salt, SCRYPT), nonce);
  cipher.setAAD(aad(keyId));
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  return { format: FORMAT, kdf: 'scrypt', ...SCRYPT, salt: salt.toString('base64'), nonce: nonce.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64'), keyId };
}

const b64 = (v: unknown, bytes: number): Buffer | undefined => {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return undefined;
  const b = Buffer.from(v, 'base64');
  return b.length === bytes ? b : undefined;
};

/**
 * Opens a sealed key read from an archive. `corrupt` when the record is malformed; `refused` when
 * the passphrase is wrong (the tag does not verify) — neither message repeats the passphrase.
 */
export function openMasterKey(raw: unknown, passphrase: Buffer): { key: Buffer; keyId: string } {
  const corrupt = (what: string): SlipwayError => new SlipwayError('corrupt', `the sealed master key in the backup is malformed: ${what}; nothing was written`);
  if (typeof raw !== 'object' || raw === null) throw corrupt('not a JSON object');
  const s = raw as Partial<Record<keyof SealedKey, unknown>>;
  if (s.format !== FORMAT || s.kdf !== 'scrypt') throw corrupt('unknown format or key derivation');
  const { N, r, p } = s;
  if (typeof N !== 'number' || !Number.isSafeInteger(N) || N < 1 << 14 || N > MAX_N || (N & (N - 1)) !== 0 || r !== 8 || p !== 1) throw corrupt('scrypt parameters out of range');
  const salt = b64(s.salt, 16);
  const nonce = b64(s.nonce, 12);
  const tag = b64(s.tag, 16);
  const ciphertext = b64(s.ciphertext, 32);
  if (!salt || !nonce || !tag || !ciphertext || typeof s.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(s.keyId)) throw corrupt('salt, nonce, tag, ciphertext or key id has the wrong form');
  let key: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', derive(passphrase, salt, { N, r, p }), nonce);
    decipher.setAAD(aad(s.keyId));
    decipher.setAuthTag(tag);
    key = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new SlipwayError('refused', 'the passphrase does not open the master key sealed in the backup (wrong passphrase); nothing was written', 'give the passphrase used for `slipway backup --include-master-key` on stdin, or set SLIPWAY_MASTER_KEY to the key');
  }
  if (keyIdOf(key) !== s.keyId) throw corrupt(`the key opened has key id ${keyIdOf(key)}, not the ${s.keyId} recorded`);
  return { key, keyId: s.keyId };
}
