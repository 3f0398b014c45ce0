// The contract every SecretsStore adapter passes (memory now, SQLite next): call
// `secretsStoreContract(name, makeStore)` from the adapter's test file.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SECRET_ALG, type SecretRecord } from '../core/secrets/records.js';
import type { SecretsStore } from '../ports/secrets.js';

/** A value record with opaque fields: the store never looks inside them. */
export function fakeValue(env: string, name: string, version: number, keyId = 'aaaaaaaaaaaaaaaa', createdAt = '2024-05-01T10:00:00.000Z'): SecretRecord {
  return {
    kind: 'value', alg: SECRET_ALG, keyId, env, name, version, createdAt,
    salt: Buffer.alloc(16, version).toString('base64'),
    nonce: Buffer.alloc(12, version).toString('base64'),
    ciphertext: Buffer.from(`${env}/${name}/${version}`).toString('base64'),
    tag: Buffer.alloc(16, 1).toString('base64'),
  };
}

export function fakeTombstone(env: string, name: string, version: number, createdAt = '2024-05-02T10:00:00.000Z'): SecretRecord {
  return { kind: 'tombstone', env, name, version, createdAt };
}

/**
 * Registers the contract tests. `makeStore` returns a fresh, empty store each time; `dispose`
 * (optional) releases it.
 */
export function secretsStoreContract(label: string, makeStore: () => SecretsStore | Promise<SecretsStore>, dispose?: (s: SecretsStore) => void | Promise<void>): void {
  const withStore = (name: string, body: (s: SecretsStore) => Promise<void>): void => {
    test(name, async () => {
      const s = await makeStore();
      try {
        await body(s);
      } finally {
        await dispose?.(s);
      }
    });
  };

  describe(`SecretsStore contract: ${label}`, () => {
    withStore('an empty store has nothing', async (s) => {
      assert.equal(await s.latest('production', 'A'), undefined);
      assert.equal(await s.get('production', 'A', 1), undefined);
      assert.deepEqual(await s.list('production'), []);
      assert.deepEqual(await s.all(), []);
      assert.deepEqual(await s.keyIds(), []);
    });

    withStore('put stores versions; get and latest read them back exactly', async (s) => {
      const v1 = fakeValue('production', 'API_KEY', 1);
      const v2 = fakeValue('production', 'API_KEY', 2, 'bbbbbbbbbbbbbbbb', '2024-05-03T00:00:00.000Z');
      assert.deepEqual(await s.put(v1), { ok: true });
      assert.deepEqual(await s.put(v2), { ok: true });
      assert.deepEqual(await s.get('production', 'API_KEY', 1), v1);
      assert.deepEqual(await s.latest('production', 'API_KEY'), v2);
      assert.equal(await s.get('production', 'API_KEY', 3), undefined);
      assert.equal(await s.latest('staging', 'API_KEY'), undefined);
    });

    withStore('a taken version is a conflict and the first record stays', async (s) => {
      const v1 = fakeValue('production', 'API_KEY', 1);
      await s.put(v1);
      const again = await s.put(fakeValue('production', 'API_KEY', 1, 'cccccccccccccccc'));
      assert.equal(again.ok, false);
      if (!again.ok) assert.equal(again.reason, 'conflict');
      assert.deepEqual(await s.get('production', 'API_KEY', 1), v1);
    });

    withStore('a tombstone is the latest version, hides the secret from list, and keeps history', async (s) => {
      await s.put(fakeValue('production', 'GONE', 1));
      await s.put(fakeTombstone('production', 'GONE', 2));
      await s.put(fakeValue('production', 'KEPT', 1));
      assert.equal((await s.latest('production', 'GONE'))?.kind, 'tombstone');
      assert.equal((await s.get('production', 'GONE', 1))?.kind, 'value');
      assert.deepEqual((await s.list('production')).map((m) => m.name), ['KEPT']);
      assert.equal((await s.all()).length, 3);
    });

    withStore('list gives metadata of the latest version per name, sorted, for one env only', async (s) => {
      await s.put(fakeValue('production', 'ZED', 1));
      await s.put(fakeValue('production', 'ALPHA', 1));
      await s.put(fakeValue('production', 'ALPHA', 2, 'bbbbbbbbbbbbbbbb', '2024-06-01T00:00:00.000Z'));
      await s.put(fakeValue('staging', 'OTHER', 1));
      const list = await s.list('production');
      assert.deepEqual(list, [
        { env: 'production', name: 'ALPHA', version: 2, updatedAt: '2024-06-01T00:00:00.000Z', keyId: 'bbbbbbbbbbbbbbbb' },
        { env: 'production', name: 'ZED', version: 1, updatedAt: '2024-05-01T10:00:00.000Z', keyId: 'aaaaaaaaaaaaaaaa' },
      ]);
      for (const m of list) assert.ok(!('ciphertext' in m) && !('tag' in m));
    });

    withStore('keyIds lists the distinct key ids of value records', async (s) => {
      await s.put(fakeValue('production', 'A', 1, 'bbbbbbbbbbbbbbbb'));
      await s.put(fakeValue('production', 'B', 1, 'aaaaaaaaaaaaaaaa'));
      await s.put(fakeValue('staging', 'B', 1, 'aaaaaaaaaaaaaaaa'));
      await s.put(fakeTombstone('staging', 'B', 2));
      assert.deepEqual([...(await s.keyIds())].sort(), ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
    });

    withStore('replaceAll swaps every record at once when the set of versions is unchanged', async (s) => {
      const before = [fakeValue('production', 'A', 1), fakeTombstone('production', 'A', 2), fakeValue('staging', 'B', 1)];
      for (const r of before) await s.put(r);
      const after = before.map((r) => (r.kind === 'value' ? { ...r, keyId: 'dddddddddddddddd', ciphertext: 'AAAA' } : r));
      assert.deepEqual(await s.replaceAll(after), { ok: true });
      assert.deepEqual(await s.get('production', 'A', 1), after[0]);
      assert.deepEqual(await s.keyIds(), ['dddddddddddddddd']);
      assert.equal((await s.all()).length, 3);
    });

    withStore('replaceAll with a missing, extra or duplicated version is a conflict and writes nothing', async (s) => {
      const before = [fakeValue('production', 'A', 1), fakeValue('production', 'B', 1)];
      for (const r of before) await s.put(r);
      const relabel = (r: SecretRecord): SecretRecord => (r.kind === 'value' ? { ...r, keyId: 'dddddddddddddddd' } : r);
      const attempts: SecretRecord[][] = [
        [relabel(before[0]!)],
        [...before.map(relabel), fakeValue('production', 'C', 1, 'dddddddddddddddd')],
        [relabel(before[0]!), relabel(before[0]!)],
        [relabel(before[0]!), relabel(fakeValue('production', 'B', 2))],
      ];
      for (const attempt of attempts) {
        const r = await s.replaceAll(attempt);
        assert.equal(r.ok, false);
        if (!r.ok) assert.equal(r.reason, 'conflict');
        assert.deepEqual(await s.keyIds(), ['aaaaaaaaaaaaaaaa']);
        assert.deepEqual(await s.get('production', 'A', 1), before[0]);
      }
    });
  });
}
