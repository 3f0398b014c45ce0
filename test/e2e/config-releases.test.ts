// A config change is a release: config, secret and setting changes of a running environment each
// make a new release of the same digest (trigger "config"), deployed and verified; --no-deploy
// waits for the next deployment; rollback restores the artifact and the config it ran with; and
// `slipway up` restarts the current release with its recorded config and secrets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TempRepo, type CliResult } from './harness.js';

const APP = `const http = require('node:http');
const sha = (s) => require('node:crypto').createHash('sha256').update(s || '').digest('hex');
http.createServer((req, res) => res.end(JSON.stringify({ greeting: process.env.GREETING || null, token: process.env.API_TOKEN ? sha(process.env.API_TOKEN) : null, release: process.env.SLIPWAY_RELEASE })))
  .listen(Number(process.env.PORT), '127.0.0.1');
`;
const YAML = `app: configured
build:
  artifact: [app.js]
run:
  command: node app.js
  health: { path: /, start_timeout: 5s }
  stop_grace: 1s
environments:
  staging:
    verify: { window: 1s }
    env: { GREETING: from-yaml }
`;

interface Seen {
  greeting: string | null;
  token: string | null;
  release: string;
}

describe('config releases', () => {
  let repo: TempRepo;
  let keys: string;
  const cli = (args: string[], input?: string): Promise<CliResult> => repo.cli(args, { input, env: { XDG_CONFIG_HOME: keys } });
  const ok = async (args: string[], input?: string): Promise<CliResult> => {
    const r = await cli(args, input);
    assert.equal(r.code, 0, `slipway ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const seen = async (): Promise<Seen> => {
    const s = JSON.parse((await ok(['status', '--json'])).stdout) as { environments: { env: string; url: string }[] };
    const url = s.environments.find((e) => e.env === 'staging')?.url ?? '';
    return (await (await fetch(url)).json()) as Seen;
  };
  const releases = (): Array<{ number: number; digest: string; config_version: number; secret_versions: string; settings_version: number }> => {
    const db = new Database(join(repo.dir, '.slipway', 'slipway.db'), { readonly: true });
    try {
      return db.prepare("SELECT * FROM releases WHERE env = 'staging' ORDER BY number").all() as ReturnType<typeof releases>;
    } finally {
      db.close();
    }
  };
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

  before(() => {
    keys = mkdtempSync(join(tmpdir(), 'slipway-keys-'));
    delete process.env.SLIPWAY_MASTER_KEY;
    repo = new TempRepo();
    repo.write({ 'app.js': APP, 'slipway.yaml': YAML }).commit('app');
  });
  after(async () => {
    await repo.dispose();
    rmSync(keys, { recursive: true, force: true });
  });

  test('each change is a new release of the same digest; rollback brings back the config it ran with', { timeout: 120_000 }, async () => {
    await ok(['run']);
    await ok(['deploy', 'staging']);
    assert.deepEqual(await seen(), { greeting: 'from-yaml', token: null, release: 'v1' });

    // config set → v2
    const set = JSON.parse((await ok(['config', 'set', 'staging', 'GREETING=hello there', '--json'])).stdout) as { version: number; deployment: { phase: string; release: number; trigger: string } };
    assert.deepEqual([set.version, set.deployment.phase, set.deployment.release, set.deployment.trigger], [1, 'succeeded', 2, 'config']);
    assert.deepEqual(await seen(), { greeting: 'hello there', token: null, release: 'v2' });

    // secrets set → v3, the app gets the value
    await ok(['secrets', 'set', 'staging', 'API_TOKEN'], 's3cret-token-value\n');
    assert.deepEqual(await seen(), { greeting: 'hello there', token: sha('s3cret-token-value'), release: 'v3' });

    // env set → v4 with two instances
    await ok(['env', 'set', 'staging', 'instances=2']);
    const status = JSON.parse((await ok(['status', '--json'])).stdout) as { environments: { env: string; instances: { release: string; state: string }[] }[] };
    assert.equal(status.environments[0]?.instances.filter((i) => i.release === 'v4' && i.state === 'healthy').length, 2);
    const show = JSON.parse((await ok(['env', 'show', 'staging', '--json'])).stdout) as { settings: { key: string; display: string; source: string }[] };
    assert.deepEqual(show.settings.find((s) => s.key === 'instances'), { key: 'instances', value: 2, display: '2', source: 'env set', from: 'env set v1' });

    // --no-deploy records only; nothing changes until the next deployment
    const quiet = await ok(['config', 'set', 'staging', 'GREETING=later', '--no-deploy']);
    assert.match(quiet.stdout, /--no-deploy: staging keeps running v4/);
    assert.equal((await seen()).greeting, 'hello there');
    const list = JSON.parse((await ok(['config', 'list', 'staging', '--json'])).stdout) as { version: number; running: { release: number; configVersion: number } };
    assert.deepEqual([list.version, list.running], [2, { release: 4, configVersion: 1 }]);
    // a change that changes nothing deploys nothing new
    const same = await ok(['config', 'set', 'staging', 'GREETING=later', '--no-deploy']);
    assert.match(same.stdout, /nothing changed in staging \(version 2\)/);

    // the releases record versions, never values, all with the one digest
    const rel = releases();
    assert.deepEqual(rel.map((r) => [r.number, r.config_version, JSON.parse(r.secret_versions) as unknown, r.settings_version]), [
      [1, 0, {}, 0],
      [2, 1, {}, 0],
      [3, 1, { API_TOKEN: 1 }, 0],
      [4, 1, { API_TOKEN: 1 }, 1],
    ]);
    assert.equal(new Set(rel.map((r) => r.digest)).size, 1);

    // rollback: v3, warm, with its config and secret; then v1, cold, with none of them
    await ok(['rollback', 'staging']);
    assert.deepEqual(await seen(), { greeting: 'hello there', token: sha('s3cret-token-value'), release: 'v3' });
    await ok(['rollback', 'staging', '--to', 'v1']);
    assert.deepEqual(await seen(), { greeting: 'from-yaml', token: null, release: 'v1' });
    const history = JSON.parse((await ok(['history', 'staging', '--json'])).stdout) as { trigger: string }[];
    assert.deepEqual(history.map((h) => h.trigger).reverse(), ['deploy', 'config', 'config', 'config', 'rollback', 'rollback']);

    // a secret set again for v1's environment redeploys the current digest with the latest of everything
    await ok(['secrets', 'set', 'staging', 'API_TOKEN'], 'second-token');
    assert.deepEqual(await seen(), { greeting: 'later', token: sha('second-token'), release: 'v5' });

    // up from nothing restarts the current release with its recorded config and secrets
    await ok(['down']);
    await ok(['server', 'stop']);
    await ok(['up']);
    assert.deepEqual(await seen(), { greeting: 'later', token: sha('second-token'), release: 'v5' });
  });
});
