import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, keyIdOf } from './crypto.js';
import { SECRET_ALG, type SealedRecord } from '../core/secrets/records.js';

const key = Buffer.alloc(32, 7);
const keyId = keyIdOf(key);
const at = { env: 'production', name: 'DATABASE_URL', version: 3 };
const plaintext = Buffer.from('postgres://app:hunter2@db/app');
const sealed = encryptSecret(key, keyId, at, plaintext);

/** Flips one bit of a base64 field. */
function flip(b64: string, byte = 0): string {
  const buf = Buffer.from(b64, 'base64');
  buf[byte] = (buf[byte] ?? 0) ^ 1;
  return buf.toString('base64');
}

function expectCorrupt(record: SealedRecord, mention: RegExp = /DATABASE_URL/): void {
  const r = decryptSecret(key, record);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.reason, 'corrupt');
  assert.match(r.message, mention);
}

describe('keyIdOf', () => {
  test('is the first 16 hex of sha256("slipway-key-id" + key)', () => {
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from('slipway-key-id'), key])).digest('hex').slice(0, 16);
    assert.equal(keyId, expected);
    assert.match(keyId, /^[0-9a-f]{16}$/);
    assert.notEqual(keyIdOf(Buffer.alloc(32, 8)), keyId);
  });
});

describe('encryptSecret / decryptSecret', () => {
  test('round-trips and describes the record', () => {
    assert.equal(sealed.alg, SECRET_ALG);
    assert.equal(sealed.keyId, keyId);
    assert.deepEqual([sealed.env, sealed.name, sealed.version], ['production', 'DATABASE_URL', 3]);
    assert.equal(Buffer.from(sealed.salt, 'base64').length, 16);
    assert.equal(Buffer.from(sealed.nonce, 'base64').length, 12);
    assert.equal(Buffer.from(sealed.tag, 'base64').length, 16);
    const r = decryptSecret(key, sealed);
    assert.ok(r.ok);
    assert.deepEqual(r.value, plaintext);
  });

  test('the ciphertext does not contain the value, and sealing twice differs (fresh salt and nonce)', () => {
    const again = encryptSecret(key, keyId, at, plaintext);
    assert.notEqual(again.ciphertext, sealed.ciphertext);
    assert.notEqual(again.salt, sealed.salt);
    assert.notEqual(again.nonce, sealed.nonce);
    assert.ok(!JSON.stringify(sealed).includes('hunter2'));
  });

  test('binary and empty plaintexts round-trip', () => {
    for (const value of [randomBytes(1000), Buffer.alloc(0)]) {
      const r = decryptSecret(key, encryptSecret(key, keyId, at, value));
      assert.ok(r.ok);
      assert.deepEqual(r.value, value);
    }
  });

  test('a wrong master key is reported as wrong-key, naming both key ids and the secret', () => {
    const other = Buffer.alloc(32, 9);
    const r = decryptSecret(other, sealed);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.reason, 'wrong-key');
    assert.ok(r.message.includes(keyId) && r.message.includes(keyIdOf(other)));
    assert.match(r.message, /DATABASE_URL.*version 3.*production/);
  });

  test('a record sealed under another key but labelled with this key id fails authentication', () => {
    const other = Buffer.alloc(32, 9);
    expectCorrupt({ ...encryptSecret(other, keyIdOf(other), at, plaintext), keyId });
  });

  test('tampered ciphertext, tag, nonce or salt → corrupt, naming the secret', () => {
    expectCorrupt({ ...sealed, ciphertext: flip(sealed.ciphertext) }, /DATABASE_URL \(version 3\) of production failed authentication/);
    expectCorrupt({ ...sealed, ciphertext: flip(sealed.ciphertext, 10) });
    expectCorrupt({ ...sealed, tag: flip(sealed.tag, 15) });
    expectCorrupt({ ...sealed, nonce: flip(sealed.nonce, 5) });
    expectCorrupt({ ...sealed, salt: flip(sealed.salt, 3) });
  });

  test('a record moved to another env, name or version fails authentication', () => {
    expectCorrupt({ ...sealed, env: 'staging' }, /staging/);
    expectCorrupt({ ...sealed, name: 'OTHER_SECRET' }, /OTHER_SECRET/);
    expectCorrupt({ ...sealed, version: 4 }, /version 4/);
  });

  test('a record sealed under a different key id label fails even with the right key', () => {
    // The key id is authenticated: relabelling the record is detected, not silently accepted.
    const relabelled = encryptSecret(key, 'ffffffffffffffff', at, plaintext);
    const r = decryptSecret(key, relabelled);
    assert.equal(r.ok, false);
    expectCorrupt({ ...relabelled, keyId });
  });

  test('malformed records are corrupt, never thrown', () => {
    expectCorrupt({ ...sealed, nonce: 'not base64!' }, /malformed/);
    expectCorrupt({ ...sealed, tag: Buffer.alloc(8).toString('base64') }, /malformed/);
    expectCorrupt({ ...sealed, salt: '' }, /malformed/);
    expectCorrupt({ ...sealed, ciphertext: 'abc' }, /malformed/);
    expectCorrupt({ ...sealed, alg: 'ROT13' as typeof SECRET_ALG }, /unknown algorithm/);
    expectCorrupt({ ...sealed, ciphertext: undefined as unknown as string }, /malformed/);
  });

  test('a master key of the wrong length is a bug and throws', () => {
    assert.throws(() => encryptSecret(Buffer.alloc(16), keyId, at, plaintext), /32 bytes/);
    assert.throws(() => decryptSecret(Buffer.alloc(31), sealed), /32 bytes/);
  });
});
