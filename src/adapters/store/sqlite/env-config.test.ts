import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConfigTables } from './env-config.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-envcfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlite env config store', () => {
  test('config versions: append, read back exactly, newest first, per environment; a taken number is a conflict', async () => {
    const t = openConfigTables(join(dir, 'config.db'));
    const s = t.envConfig;
    assert.equal(await s.latestConfig('staging'), undefined);
    const v1 = { version: 1, values: { A: '1', __proto__x: 'y' }, changedKeys: ['A', '__proto__x'], at: '2026-01-01T00:00:00.000Z', actor: 'alice' };
    const v2 = { version: 2, values: { A: '2' }, changedKeys: ['A', '__proto__x'], at: '2026-01-02T00:00:00.000Z', actor: 'bob' };
    assert.deepEqual(await s.putConfig('staging', v1), { ok: true });
    assert.deepEqual(await s.putConfig('staging', v2), { ok: true });
    assert.deepEqual(await s.getConfig('staging', 1), v1);
    assert.deepEqual(await s.latestConfig('staging'), v2);
    assert.deepEqual((await s.configHistory('staging', 10)).map((v) => v.version), [2, 1]);
    assert.equal(await s.latestConfig('production'), undefined);
    const again = await s.putConfig('staging', { ...v2, actor: 'mallory' });
    assert.equal(again.ok, false);
    assert.equal((await s.getConfig('staging', 2))?.actor, 'bob');
    t.close();
  });

  test('settings versions keep typed values', async () => {
    const t = openConfigTables(join(dir, 'settings.db'));
    const s = t.envConfig;
    const v1 = { version: 1, values: { port: 8090, health_path: '/ready', start_timeout: 5000 }, changedKeys: ['port' as const], at: 'now', actor: 'me' };
    assert.deepEqual(await s.putSettings('production', v1), { ok: true });
    assert.deepEqual(await s.latestSettings('production'), v1);
    assert.deepEqual(await s.getSettings('production', 1), v1);
    assert.equal(await s.getSettings('production', 2), undefined);
    assert.equal((await s.putSettings('production', v1)).ok, false);
    assert.deepEqual(await s.settingsHistory('production', 5), [v1]);
    t.close();
  });
});
