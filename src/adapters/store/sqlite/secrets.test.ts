import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSecretsService } from '../../../secrets/service.js';
import { secretsStoreContract } from '../../../secrets/store-contract.js';
import type { SecretsStore } from '../../../ports/secrets.js';
import { openConfigTables, type ConfigTables } from './env-config.js';
import { openSqliteStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = new Map<SecretsStore, ConfigTables>();

secretsStoreContract(
  'sqlite',
  () => {
    const t = openConfigTables(join(dir, `contract-${++n}.db`));
    open.set(t.secrets, t);
    return t.secrets;
  },
  (s) => open.get(s)?.close(),
);

describe('sqlite secrets store', () => {
  test('the table holds ciphertext only: the value is in no column, in no form', async () => {
    const file = join(dir, 'only-ciphertext.db');
    const t = openConfigTables(file);
    const value = `needle-${Math.random().toString(36).slice(2)}-value`;
    const svc = createSecretsService({ store: t.secrets, masterKey: Buffer.alloc(32, 7) });
    await svc.set('production', 'API_KEY', Buffer.from(value));
    await svc.set('production', 'API_KEY', Buffer.from(`${value}-2`));
    t.close();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT * FROM secret_records').all() as Record<string, unknown>[];
    db.close();
    assert.equal(rows.length, 2);
    const text = JSON.stringify(rows);
    for (const form of [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')]) assert.ok(!text.includes(form), form);
    assert.deepEqual(Object.keys(rows[0] ?? {}).sort(), ['alg', 'ciphertext', 'created_at', 'env', 'key_id', 'kind', 'name', 'nonce', 'salt', 'tag', 'version']);
  });

  test('a byte flipped in the stored ciphertext fails authentication, naming the secret and version', async () => {
    const file = join(dir, 'flipped.db');
    const t = openConfigTables(file);
    const key = Buffer.alloc(32, 9);
    await createSecretsService({ store: t.secrets, masterKey: key }).set('staging', 'DB_PASSWORD', Buffer.from('correct horse battery staple'));
    const db = new Database(file);
    const row = db.prepare('SELECT ciphertext FROM secret_records').get() as { ciphertext: string };
    const bytes = Buffer.from(row.ciphertext, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    db.prepare('UPDATE secret_records SET ciphertext = ?').run(bytes.toString('base64'));
    db.close();
    await assert.rejects(createSecretsService({ store: t.secrets, masterKey: key }).resolve('staging'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'corrupt');
      assert.match(e.message, /secret DB_PASSWORD \(version 1\) of staging failed authentication/);
      return true;
    });
    t.close();
  });

  test('migration 4 sits beside the store and adds settings_version to releases', async () => {
    const file = join(dir, 'beside.db');
    const store = openSqliteStore(file);
    const t = openConfigTables(file);
    assert.ok(store.schemaVersion >= 4);
    const db = new Database(file, { readonly: true });
    const cols = (db.prepare('PRAGMA table_info(releases)').all() as { name: string }[]).map((c) => c.name);
    db.close();
    assert.ok(cols.includes('settings_version'));
    t.close();
    await store.close();
  });
});
