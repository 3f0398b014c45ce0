import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IN_TOTO_PAYLOAD_TYPE, pae, type DsseEnvelope } from '../../core/artifact/dsse.js';
import { SlipwayError } from '../../core/errors.js';
import { ed25519Verifier, Ed25519Signer, keyPaths, loadOrCreateSigner } from './ed25519.js';

const withHome = async (fn: (home: string) => Promise<void>): Promise<void> => {
  const home = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    await fn(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
};

const payload = Buffer.from('{"hello":"world"}');

void describe('loadOrCreateSigner', () => {
  void test('creates a key pair on first use with safe modes, and reuses it', () =>
    withHome(async (home) => {
      const first = await loadOrCreateSigner(home);
      const paths = keyPaths(home);
      assert.equal(statSync(paths.privateKey).mode & 0o777, 0o600);
      assert.equal(statSync(paths.dir).mode & 0o777, 0o700);
      assert.match(readFileSync(paths.privateKey, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
      assert.equal(readFileSync(paths.publicKey, 'utf8'), first.publicKeyPem);
      const der = createPublicKey(first.publicKeyPem).export({ type: 'spki', format: 'der' });
      assert.equal(first.keyid, createHash('sha256').update(der).digest('hex'));
      const second = await loadOrCreateSigner(home);
      assert.equal(second.keyid, first.keyid);
    }));

  void test('two processes starting at once end up with one key', () =>
    withHome(async (home) => {
      const signers = await Promise.all([loadOrCreateSigner(home), loadOrCreateSigner(home), loadOrCreateSigner(home)]);
      assert.equal(new Set(signers.map((s) => s.keyid)).size, 1);
    }));

  void test('a malformed or non-Ed25519 key file is corrupt, with a hint', () =>
    withHome(async (home) => {
      await loadOrCreateSigner(home);
      writeFileSync(keyPaths(home).privateKey, 'not a key');
      await assert.rejects(loadOrCreateSigner(home), (e: unknown) => e instanceof SlipwayError && e.code === 'corrupt' && e.hint !== undefined);
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(keyPaths(home).privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await assert.rejects(loadOrCreateSigner(home), /is a ec key, not Ed25519/);
    }));
});

void describe('DSSE with Ed25519', () => {
  const signer = new Ed25519Signer(generateKeyPairSync('ed25519').privateKey);
  const other = new Ed25519Signer(generateKeyPairSync('ed25519').privateKey);
  const trusted = [signer.publicKeyPem];

  const fails = (env: unknown, reason: string, keys: readonly string[] = trusted, type?: string): void => {
    const r = ed25519Verifier.verifyEnvelope(env, keys, type);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, reason, r.message);
  };

  void test('round trip: the envelope verifies and gives the payload back', () => {
    const env = signer.signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload);
    assert.equal(env.payload, payload.toString('base64'));
    assert.equal(env.signatures[0]?.keyid, signer.keyid);
    const r = ed25519Verifier.verifyEnvelope(JSON.parse(JSON.stringify(env)), trusted, IN_TOTO_PAYLOAD_TYPE);
    assert.ok(r.ok);
    assert.equal(r.keyid, signer.keyid);
    assert.deepEqual(r.payload, payload);
  });

  void test('the signature is over PAE, not the bare payload', () => {
    const env = signer.signEnvelope('text/plain', payload);
    const sig = Buffer.from(env.signatures[0]?.sig ?? '', 'base64');
    const pub = createPublicKey(signer.publicKeyPem);
    assert.equal(cryptoVerify(null, pae('text/plain', payload), pub, sig), true);
    assert.equal(cryptoVerify(null, payload, pub, sig), false);
  });

  void test('a tampered payload fails', () => {
    const env = signer.signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload);
    fails({ ...env, payload: Buffer.from('{"hello":"World"}').toString('base64') }, 'bad-signature');
  });

  void test('a tampered signature fails (flipped bit, or truncated)', () => {
    const env = signer.signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload);
    const sig = Buffer.from(env.signatures[0]?.sig ?? '', 'base64');
    sig[0] = (sig[0] ?? 0) ^ 1;
    fails({ ...env, signatures: [{ keyid: signer.keyid, sig: sig.toString('base64') }] }, 'bad-signature');
    fails({ ...env, signatures: [{ keyid: signer.keyid, sig: sig.subarray(0, 10).toString('base64') }] }, 'bad-signature');
  });

  void test('a signature by another key fails, even claiming the trusted keyid', () => {
    const env = other.signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload);
    fails(env, 'bad-signature');
    fails({ ...env, signatures: [{ keyid: signer.keyid, sig: env.signatures[0]?.sig ?? '' }] }, 'bad-signature');
    // …and verifies when that key is trusted, even with a wrong hint.
    const r = ed25519Verifier.verifyEnvelope({ ...env, signatures: [{ keyid: signer.keyid, sig: env.signatures[0]?.sig ?? '' }] }, [signer.publicKeyPem, other.publicKeyPem]);
    assert.ok(r.ok && r.keyid === other.keyid);
  });

  void test('a changed payloadType fails the signature; an unexpected type is refused', () => {
    const env: DsseEnvelope = signer.signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload);
    fails({ ...env, payloadType: 'application/json' }, 'bad-signature');
    fails(signer.signEnvelope('application/json', payload), 'wrong-type', trusted, IN_TOTO_PAYLOAD_TYPE);
  });

  void test('malformed envelopes and missing keys are reported, not thrown', () => {
    fails('nope', 'malformed');
    fails({ payload: 'x', payloadType: 't', signatures: [] }, 'malformed');
    fails(signer.signEnvelope('t', payload), 'no-trusted-key', []);
    fails(signer.signEnvelope('t', payload), 'no-trusted-key', ['garbage']);
  });
});
