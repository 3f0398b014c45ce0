import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConfigTables } from '../../adapters/store/sqlite/env-config.js';
import type { Release } from '../../core/deployment/types.js';
import { MASK } from '../../secrets/mask.js';
import { sameSnapshot } from '../../engine/envconfig/release.js';
import { EnvConfig } from './env-config.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-envconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const KEY = Buffer.alloc(32, 3).toString('base64');
let n = 0;

const make = (env: NodeJS.ProcessEnv = { SLIPWAY_MASTER_KEY: KEY }) => {
  const tables = openConfigTables(join(dir, `t${++n}.db`));
  return { tables, ec: new EnvConfig({ store: tables.envConfig, secrets: tables.secrets, home: join(dir, 'home'), repo: join(dir, 'repo'), env }) };
};
const release = (over: Partial<Release>): Release => ({ env: 'staging', number: 1, digest: 'sha256:1', commit: 'c', configVersion: 0, secretVersions: {}, createdAt: 'now', createdBy: 'me', ...over });

describe('EnvConfig', () => {
  test('a release gets exactly the versions it recorded: yaml defaults < config < secrets', async () => {
    const { tables, ec } = make();
    const svc = await ec.secretsService({ create: true });
    await svc.set('staging', 'TOKEN', Buffer.from('first-token'));
    await tables.envConfig.putConfig('staging', { version: 1, values: { GREETING: 'v1', TOKEN: 'config-loses' }, changedKeys: ['GREETING'], at: 'now', actor: 'me' });
    const snap1 = await ec.snapshot('staging');
    assert.deepEqual(snap1, { configVersion: 1, settingsVersion: 0, secretVersions: { TOKEN: 1 } });
    await svc.set('staging', 'TOKEN', Buffer.from('second-token'));
    await tables.envConfig.putConfig('staging', { version: 2, values: { GREETING: 'v2' }, changedKeys: ['GREETING'], at: 'now', actor: 'me' });
    const old = await ec.inject(release(snap1), { GREETING: 'yaml', OTHER: 'yaml-only' });
    assert.deepEqual(old.vars, { GREETING: 'v1', OTHER: 'yaml-only', TOKEN: 'first-token' });
    assert.deepEqual(old.secretValues, ['first-token']);
    const snap2 = await ec.snapshot('staging');
    assert.deepEqual(snap2.secretVersions, { TOKEN: 2 });
    assert.equal(sameSnapshot(release(snap1), snap2), false);
    assert.equal(sameSnapshot(release({ ...snap2, secretVersions: { TOKEN: 2 } }), snap2), true);
    assert.equal(ec.masker().mask('x first-token second-token'), `x ${MASK} second-token`, 'the masker knows what was injected');
    tables.close();
  });

  test('a release without secrets needs no key; one with secrets and no key says which key is missing', async () => {
    const { tables, ec } = make({ XDG_CONFIG_HOME: join(dir, 'nokeys') });
    assert.deepEqual(await ec.inject(release({})), { vars: {}, secretValues: [] });
    await assert.rejects(ec.inject(release({ secretVersions: { TOKEN: 1 } })), /no master key/);
    tables.close();
  });

  test('pipeline secrets come from "ci", all or nothing, with the command to set a missing one', async () => {
    const { tables, ec } = make();
    await (await ec.secretsService({ create: true })).set('ci', 'NPM_TOKEN', Buffer.from('npm-secret'));
    assert.deepEqual(await ec.pipelineSecrets([]), {});
    assert.deepEqual(await ec.pipelineSecrets(['NPM_TOKEN']), { NPM_TOKEN: 'npm-secret' });
    await assert.rejects(ec.pipelineSecrets(['NPM_TOKEN', 'GH_TOKEN']), (e: Error & { hint?: string }) => {
      assert.match(e.message, /needs the secret GH_TOKEN, which is not set for pipelines/);
      assert.match(e.hint ?? '', /slipway secrets set ci GH_TOKEN/);
      return true;
    });
    tables.close();
  });

  test('refreshMasker reads every sealed version; without a key it says why and keeps going', async () => {
    const { tables, ec } = make();
    const svc = await ec.secretsService({ create: true });
    await svc.set('staging', 'A', Buffer.from('alpha-value'));
    await svc.set('production', 'B', Buffer.from('bravo-value'));
    const fresh = new EnvConfig({ store: tables.envConfig, secrets: tables.secrets, home: join(dir, 'home'), repo: join(dir, 'repo'), env: { SLIPWAY_MASTER_KEY: KEY } });
    assert.equal(await fresh.refreshMasker(), undefined);
    assert.equal(fresh.masker().mask('alpha-value bravo-value'), `${MASK} ${MASK}`);
    const keyless = new EnvConfig({ store: tables.envConfig, secrets: tables.secrets, home: join(dir, 'home'), repo: join(dir, 'repo'), env: { XDG_CONFIG_HOME: join(dir, 'none') } });
    assert.match((await keyless.refreshMasker()) ?? '', /secrets were encrypted with key id/);
    assert.equal(keyless.masker().mask('alpha-value'), 'alpha-value');
    tables.close();
  });
});
