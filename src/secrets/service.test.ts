import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SlipwayError } from '../core/errors.js';
import type { SecretRecord } from '../core/secrets/records.js';
import type { SecretsStore } from '../ports/secrets.js';
import { decryptSecret, keyIdOf } from './crypto.js';
import { createMemorySecretsStore, type MemorySecretsStore } from './memory-store.js';
import { createSecretsService } from './service.js';

const key = Buffer.alloc(32, 1);
const newKey = Buffer.alloc(32, 2);
const wrongKey = Buffer.alloc(32, 3);
let tick = 0;
const clock = { now: () => new Date(Date.UTC(2024, 0, 1, 0, 0, tick++)) };

async function seeded(): Promise<{ store: MemorySecretsStore; svc: ReturnType<typeof createSecretsService> }> {
  const store = createMemorySecretsStore();
  const svc = createSecretsService({ store, masterKey: key, clock });
  await svc.set('production', 'DATABASE_URL', Buffer.from('postgres://u:p4ss@db/app\n'));
  await svc.set('production', 'API_TOKEN', Buffer.from('tok-1'));
  await svc.set('production', 'API_TOKEN', Buffer.from('tok-2'));
  await svc.set('staging', 'API_TOKEN', Buffer.from('stage-tok'));
  return { store, svc };
}

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SlipwayError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

const snapshot = async (store: SecretsStore): Promise<string> => JSON.stringify(await store.all());

describe('secrets service', () => {
  test('set stores sealed versions; list shows names, versions, dates and key ids, never values', async () => {
    const { store, svc } = await seeded();
    const list = await svc.list('production');
    assert.deepEqual(list.map((l) => [l.name, l.version, l.keyId]), [['API_TOKEN', 2, keyIdOf(key)], ['DATABASE_URL', 1, keyIdOf(key)]]);
    for (const l of list) assert.match(l.updatedAt, /^2024-01-01T/);
    assert.deepEqual(Object.keys(list[0]!).sort(), ['keyId', 'name', 'updatedAt', 'version']);
    const all = await snapshot(store);
    for (const plain of ['p4ss', 'tok-1', 'tok-2', 'stage-tok']) assert.ok(!all.includes(plain));
    assert.equal(svc.keyId, keyIdOf(key));
  });

  test('set trims one trailing newline, and keeps it with exact', async () => {
    const { svc } = await seeded();
    assert.equal((await svc.resolve('production', ['DATABASE_URL'])).values.DATABASE_URL, 'postgres://u:p4ss@db/app');
    await svc.set('production', 'PEM', Buffer.from('line1\nline2\n'), { exact: true });
    assert.equal((await svc.resolve('production', ['PEM'])).values.PEM, 'line1\nline2\n');
  });

  test('set refuses bad names, env names and values, writing nothing', async () => {
    const { store, svc } = await seeded();
    const before = await snapshot(store);
    await rejects(svc.set('production', 'api_key', Buffer.from('x')), 'usage', /invalid secret name "api_key"/);
    await rejects(svc.set('production', '1ABC', Buffer.from('x')), 'usage', /invalid secret name/);
    await rejects(svc.set('Prod uction', 'A', Buffer.from('x')), 'usage', /invalid environment name/);
    await rejects(svc.set('production', 'EMPTY', Buffer.from('\n')), 'usage', /is empty/);
    await rejects(svc.set('production', 'EMPTY', Buffer.alloc(0)), 'usage', /is empty/);
    await rejects(svc.set('production', 'BIG', Buffer.alloc(70_000, 0x61)), 'usage', /at most 65536/);
    assert.equal(await snapshot(store), before);
  });

  test('set with a key other than the one the stored secrets use is refused', async () => {
    const { store } = await seeded();
    const before = await snapshot(store);
    const other = createSecretsService({ store, masterKey: wrongKey, clock });
    await rejects(other.set('production', 'NEW', Buffer.from('v')), 'refused', new RegExp(`encrypted with key id ${keyIdOf(key)}.*key id ${keyIdOf(wrongKey)}; nothing was written`));
    assert.equal(await snapshot(store), before);
  });

  test('set without a master key is a config error; list and rm work without one', async () => {
    const { store } = await seeded();
    const keyless = createSecretsService({ store });
    assert.equal(keyless.keyId, undefined);
    await rejects(keyless.set('production', 'A', Buffer.from('v')), 'config', /no master key/);
    await rejects(keyless.resolve('production'), 'config', /no master key/);
    assert.equal((await keyless.list('production')).length, 2);
    assert.deepEqual(await keyless.rm('production', 'API_TOKEN'), { name: 'API_TOKEN', version: 3 });
  });

  test('rm writes a tombstone: gone from list and resolve, old versions still resolvable, versions never reused', async () => {
    const { store, svc } = await seeded();
    assert.deepEqual(await svc.rm('production', 'API_TOKEN'), { name: 'API_TOKEN', version: 3 });
    assert.deepEqual((await svc.list('production')).map((l) => l.name), ['DATABASE_URL']);
    await rejects(svc.resolve('production', ['API_TOKEN']), 'not_found', /secret API_TOKEN is not set in production/);
    assert.equal((await svc.resolveVersions('production', { API_TOKEN: 2 })).values.API_TOKEN, 'tok-2');
    await rejects(svc.resolveVersions('production', { API_TOKEN: 3 }), 'not_found', /API_TOKEN version 3 in production was removed/);
    await rejects(svc.rm('production', 'API_TOKEN'), 'not_found', /not set in production/);
    await rejects(svc.rm('production', 'NEVER_SET'), 'not_found', /NEVER_SET is not set/);
    const again = await svc.set('production', 'API_TOKEN', Buffer.from('tok-4'));
    assert.equal(again.version, 4);
    assert.equal((await store.get('production', 'API_TOKEN', 3))?.kind, 'tombstone');
  });

  test('resolve gives values and versions for all live secrets, or the names asked for', async () => {
    const { svc } = await seeded();
    assert.deepEqual(await svc.resolve('production'), {
      values: { API_TOKEN: 'tok-2', DATABASE_URL: 'postgres://u:p4ss@db/app' },
      versions: { API_TOKEN: 2, DATABASE_URL: 1 },
    });
    assert.deepEqual(await svc.resolve('staging', ['API_TOKEN']), { values: { API_TOKEN: 'stage-tok' }, versions: { API_TOKEN: 1 } });
    assert.deepEqual(await svc.resolve('qa'), { values: {}, versions: {} });
    await rejects(svc.resolve('production', ['API_TOKEN', 'MISSING_A', 'MISSING_B']), 'not_found', /secrets MISSING_A, MISSING_B are not set in production/);
    await rejects(svc.resolve('production', ['lower']), 'usage', /invalid secret name/);
  });

  test('resolveVersions gives the exact versions a release recorded', async () => {
    const { svc } = await seeded();
    assert.deepEqual(await svc.resolveVersions('production', { API_TOKEN: 1 }), { values: { API_TOKEN: 'tok-1' }, versions: { API_TOKEN: 1 } });
    await rejects(svc.resolveVersions('production', { API_TOKEN: 9 }), 'not_found', /API_TOKEN version 9 does not exist in production/);
  });

  test('resolve with a wrong master key is refused naming the key ids, and returns nothing', async () => {
    const { store } = await seeded();
    const wrong = createSecretsService({ store, masterKey: wrongKey });
    await rejects(wrong.resolve('production'), 'refused', new RegExp(`encrypted with key id ${keyIdOf(key)}.*key id ${keyIdOf(wrongKey)}; nothing was decrypted`));
  });

  test('resolve of a corrupted record names it and returns nothing', async () => {
    const { store, svc } = await seeded();
    const rec = (await store.latest('production', 'DATABASE_URL')) as Extract<SecretRecord, { kind: 'value' }>;
    store.tamper({ ...rec, ciphertext: Buffer.from('x'.repeat(Buffer.from(rec.ciphertext, 'base64').length)).toString('base64') });
    await rejects(svc.resolve('production'), 'corrupt', /secret DATABASE_URL \(version 1\) of production failed authentication/);
    // A record copied over another name's place fails too.
    const token = (await store.latest('production', 'API_TOKEN')) as Extract<SecretRecord, { kind: 'value' }>;
    store.tamper({ ...token, env: 'staging', version: 1 });
    await rejects(svc.resolve('staging'), 'corrupt', /API_TOKEN \(version 1\) of staging failed authentication/);
  });

  test('rotateKey re-encrypts every version under the new key; the old key no longer opens anything', async () => {
    const { store, svc } = await seeded();
    await svc.rm('staging', 'API_TOKEN');
    const result = await svc.rotateKey(newKey);
    assert.deepEqual(result, { rewritten: 4, fromKeyIds: [keyIdOf(key)], toKeyId: keyIdOf(newKey) });
    assert.equal(svc.keyId, keyIdOf(newKey));
    assert.deepEqual(await store.keyIds(), [keyIdOf(newKey)]);
    const all = await store.all();
    assert.equal(all.length, 5);
    for (const r of all) {
      if (r.kind !== 'value') continue;
      assert.ok(decryptSecret(newKey, r).ok);
      const old = decryptSecret(key, r);
      assert.ok(!old.ok && old.reason === 'wrong-key');
    }
    assert.equal((await svc.resolveVersions('production', { API_TOKEN: 1 })).values.API_TOKEN, 'tok-1');
    assert.equal((await svc.resolve('production')).values.API_TOKEN, 'tok-2');
    assert.equal((await createSecretsService({ store, masterKey: newKey }).resolve('production')).values.DATABASE_URL, 'postgres://u:p4ss@db/app');
    await rejects(createSecretsService({ store, masterKey: key }).resolve('production'), 'refused', /key id/);
    // Dates are kept: rotation is not a new version.
    assert.deepEqual((await svc.list('production')).map((l) => l.version), [2, 1]);
  });

  test('rotateKey is all-or-nothing: one corrupt record (even an old version) and nothing is rewritten', async () => {
    const { store, svc } = await seeded();
    const v1 = (await store.get('production', 'API_TOKEN', 1)) as Extract<SecretRecord, { kind: 'value' }>;
    store.tamper({ ...v1, tag: Buffer.alloc(16).toString('base64') });
    const before = await snapshot(store);
    await rejects(svc.rotateKey(newKey), 'corrupt', /API_TOKEN \(version 1\) of production failed authentication/);
    assert.equal(await snapshot(store), before);
    assert.equal(svc.keyId, keyIdOf(key));
  });

  test('rotateKey with the wrong current key, the same key or a short key writes nothing', async () => {
    const { store, svc } = await seeded();
    const before = await snapshot(store);
    await rejects(createSecretsService({ store, masterKey: wrongKey }).rotateKey(newKey), 'refused', /nothing was decrypted/);
    await rejects(svc.rotateKey(key), 'usage', /is the key in use/);
    await rejects(svc.rotateKey(Buffer.alloc(16)), 'usage', /32 bytes/);
    assert.equal(await snapshot(store), before);
  });

  test('rotateKey refuses when a secret changed between reading and writing', async () => {
    const { store } = await seeded();
    const racing: SecretsStore = {
      ...store,
      all: async () => {
        const all = await store.all();
        await store.put({ kind: 'tombstone', env: 'production', name: 'API_TOKEN', version: 3, createdAt: 'x' });
        return all;
      },
    };
    const before = (await store.all()).filter((r) => r.kind === 'value').map((r) => r.keyId);
    await rejects(createSecretsService({ store: racing, masterKey: key }).rotateKey(newKey), 'conflict', /nothing was replaced; the key was not rotated/);
    assert.deepEqual((await store.all()).filter((r) => r.kind === 'value').map((r) => r.keyId), before);
  });

  test('concurrent sets of one secret get distinct versions', async () => {
    const store = createMemorySecretsStore();
    const svc = createSecretsService({ store, masterKey: key, clock });
    const metas = await Promise.all(['a1', 'a2', 'a3'].map((v) => svc.set('production', 'RACE', Buffer.from(v))));
    assert.deepEqual(metas.map((m) => m.version).sort(), [1, 2, 3]);
  });
});
