import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemorySecretsStore } from './memory-store.js';
import { fakeValue, secretsStoreContract } from './store-contract.js';

secretsStoreContract('memory', () => createMemorySecretsStore());

test('memory store copies records in and out', async () => {
  const s = createMemorySecretsStore();
  const r = fakeValue('production', 'A', 1);
  await s.put(r);
  (r as { name: string }).name = 'CHANGED';
  const got = await s.get('production', 'A', 1);
  assert.equal(got?.name, 'A');
  (got as { name: string }).name = 'CHANGED';
  assert.equal((await s.get('production', 'A', 1))?.name, 'A');
});
