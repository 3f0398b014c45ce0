// Ed25519 signing with node:crypto: a key pair kept under `<home>/keys/` (created on first use)
// that signs DSSE envelopes, and a verifier that checks envelopes against trusted public keys.
//
// Files: `signing.key` (PKCS8 PEM, mode 0600) and `signing.pub` (SPKI PEM, 0644) in a 0700
// directory. The keyid is the full hex sha256 of the public key's DER encoding, so that it names
// the key without any registry and never collides in practice.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createFileOnce, writeFileAtomic } from '../fs/files.js';
import { join } from 'node:path';
import { decodeBase64, pae, parseEnvelope, type DsseEnvelope } from '../../core/artifact/dsse.js';
import { SlipwayError } from '../../core/errors.js';
import type { EnvelopeCheck, EnvelopeVerifier, Signer } from '../../ports/signer.js';

/** Where the key pair lives under Slipway's home. */
export function keyPaths(home: string): { dir: string; privateKey: string; publicKey: string } {
  const dir = join(home, 'keys');
  return { dir, privateKey: join(dir, 'signing.key'), publicKey: join(dir, 'signing.pub') };
}

/** The keyid of a public key: hex sha256 of its SPKI DER. */
export function keyidOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Signs with an Ed25519 private key held in memory. */
export class Ed25519Signer implements Signer {
  readonly keyid: string;
  readonly publicKeyPem: string;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('Ed25519Signer needs an ed25519 private key');
    const pub = createPublicKey(privateKey);
    this.keyid = keyidOf(pub);
    this.publicKeyPem = pub.export({ type: 'spki', format: 'pem' }).toString();
  }

  signEnvelope(payloadType: string, payload: Buffer): DsseEnvelope {
    const sig = sign(null, pae(payloadType, payload), this.privateKey);
    return { payload: payload.toString('base64'), payloadType, signatures: [{ keyid: this.keyid, sig: sig.toString('base64') }] };
  }
}

/**
 * Loads the signing key from `<home>/keys/signing.key`, creating the pair on first use. Safe when
 * two processes start at once: the key file appears atomically (hard link of a finished temp
 * file) and the loser reads the winner's key. A malformed key file is `SlipwayError('corrupt')`.
 */
export async function loadOrCreateSigner(home: string): Promise<Ed25519Signer> {
  const paths = keyPaths(home);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  let pem = await readFile(paths.privateKey, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (pem === null) pem = await createKeyFile(paths.privateKey);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new SlipwayError('corrupt', `signing key ${paths.privateKey} cannot be read: ${(e as Error).message}`, 'restore it from a backup, or move it away to create a new key (old artifacts then need the old public key)');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SlipwayError('corrupt', `signing key ${paths.privateKey} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  const signer = new Ed25519Signer(key);
  const existingPub = await readFile(paths.publicKey, 'utf8').catch(() => null);
  if (existingPub !== signer.publicKeyPem) writeFileAtomic(paths.publicKey, signer.publicKeyPem, 0o644);
  return signer;
}

/** Creates the key file with a new key; when another process created it first, its key is used. */
async function createKeyFile(target: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return createFileOnce(target, pem, 0o600) ? pem : readFile(target, 'utf8');
}

/** Verifies Ed25519 DSSE signatures. */
export const ed25519Verifier: EnvelopeVerifier = {
  verifyEnvelope(envelope: unknown, trustedKeys: readonly string[], expectedType?: string): EnvelopeCheck {
    const parsed = parseEnvelope(envelope);
    if (!parsed.ok) return { ok: false, reason: 'malformed', message: parsed.message };
    const { payloadType, signatures } = parsed.envelope;
    if (expectedType !== undefined && payloadType !== expectedType) {
      return { ok: false, reason: 'wrong-type', message: `envelope holds "${payloadType}", expected "${expectedType}"` };
    }
    const keys = trustedKeys.flatMap((pem) => {
      try {
        const k = createPublicKey(pem);
        return k.asymmetricKeyType === 'ed25519' ? [{ key: k, keyid: keyidOf(k) }] : [];
      } catch {
        return []; // an unreadable trusted key cannot vouch for anything
      }
    });
    if (keys.length === 0) return { ok: false, reason: 'no-trusted-key', message: 'no usable Ed25519 public key to verify with' };
    const signed = pae(payloadType, parsed.payload);
    for (const s of signatures) {
      const sig = decodeBase64(s.sig);
      if (sig === null) continue;
      // Try the key the hint names first, then the others: the hint is not trusted.
      const ordered = [...keys.filter((k) => k.keyid === s.keyid), ...keys.filter((k) => k.keyid !== s.keyid)];
      for (const k of ordered) {
        if (verifySafely(signed, k.key, sig)) return { ok: true, keyid: k.keyid, payloadType, payload: parsed.payload };
      }
    }
    return { ok: false, reason: 'bad-signature', message: 'no signature verifies under a trusted key (tampered, or signed by another key)' };
  },
};

function verifySafely(data: Buffer, key: KeyObject, sig: Buffer): boolean {
  try {
    return verify(null, data, key, sig);
  } catch {
    return false; // e.g. a signature of the wrong length
  }
}
