// Hostile configuration through the real CLI (issue 9.9): loader and injection variables and
// JavaScript object keys in `config set`, `config import`, `secrets set`, `env set` and a committed
// slipway.yaml; server variables that slipway.yaml may name; a slipway.yaml over 1 MiB. Each is
// refused with a clear error and changes nothing; `--allow-unsafe` lets a person through, audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempRepo, type CliResult } from './harness.js';

const YAML = `app: hostile
build:
  artifact: [app.js]
run:
  command: node app.js
environments:
  staging: {}
`;

describe('hostile configuration is refused and changes nothing', () => {
  let repo: TempRepo;
  let keys: string;
  const cli = (args: string[], input = ''): Promise<CliResult> => repo.cli(args, { input, env: { XDG_CONFIG_HOME: keys } });
  const configValues = async (): Promise<Record<string, string>> => {
    const r = await cli(['config', 'list', 'staging', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return Object.fromEntries((JSON.parse(r.stdout) as { values: { key: string; value: string }[] }).values.map((v) => [v.key, v.value]));
  };
  const refused = (r: CliResult, pattern: RegExp): void => {
    assert.equal(r.code, 2, `exit code 2 expected: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern);
  };

  before(() => {
    keys = mkdtempSync(join(tmpdir(), 'slipway-keys-'));
    delete process.env.SLIPWAY_MASTER_KEY;
    repo = new TempRepo();
    repo.write({ 'app.js': 'console.log(1)\n', 'slipway.yaml': YAML, '.env.hostile': 'GREETING=hi\nNODE_OPTIONS=--require /tmp/evil.js\n' }).commit('app');
  });
  after(async () => {
    await repo.dispose();
    rmSync(keys, { recursive: true, force: true });
  });

  test('given config set with loader or injection variables, then each is refused by name and nothing is recorded', async () => {
    refused(await cli(['config', 'set', 'staging', 'GREETING=hi', 'LD_PRELOAD=/tmp/x.so']), /LD_PRELOAD changes which code a process loads or runs[\s\S]*--allow-unsafe/);
    for (const key of ['NODE_OPTIONS', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'BASH_ENV', 'PATH']) refused(await cli(['config', 'set', 'staging', `${key}=/tmp/x`]), new RegExp(`${key} changes which code`));
    refused(await cli(['config', 'import', 'staging', '.env.hostile']), /NODE_OPTIONS changes which code/);
    assert.deepEqual(await configValues(), {}, 'not even GREETING, set beside them');
  });

  test('given JavaScript object keys, then they are refused even with --allow-unsafe, and env set knows no such setting', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) refused(await cli(['config', 'set', 'staging', `${key}=x`, '--allow-unsafe']), new RegExp(`${key} is a JavaScript object key`));
    // __proto__ never reaches a route: the API's JSON body reader refuses it by name.
    refused(await cli(['env', 'set', 'staging', '__proto__=1']), /__proto__ is a JavaScript object key/);
    for (const key of ['constructor', 'toString']) refused(await cli(['env', 'set', 'staging', `${key}=1`]), new RegExp(`unknown setting "${key}"`));
    assert.deepEqual(await configValues(), {});
  });

  test('given secrets set with an injection name, then it is refused before the value is read, and no key file is created', async () => {
    refused(await cli(['secrets', 'set', 'staging', 'NODE_OPTIONS'], '--require /tmp/evil.js'), /NODE_OPTIONS changes which code[\s\S]*nothing was stored/);
    refused(await cli(['secrets', 'set', 'ci', 'LD_PRELOAD'], '/tmp/x.so'), /LD_PRELOAD changes which code/);
    assert.equal(existsSync(join(keys, 'slipway', 'keys')) ? readdirSync(join(keys, 'slipway', 'keys')).length : 0, 0);
  });

  test('given --allow-unsafe, then a person can set one, and the audit trail names it', async () => {
    const r = await cli(['config', 'set', 'staging', 'LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '--allow-unsafe']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await configValues(), { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' });
    const events = JSON.parse((await cli(['events', '--json'])).stdout) as Array<{ kind: string; data: { allowedUnsafe?: string[] } }>;
    assert.deepEqual(events.filter((e) => e.kind === 'config.changed').map((e) => e.data.allowedUnsafe), [['LD_PRELOAD']]);
    assert.equal((await cli(['config', 'unset', 'staging', 'LD_PRELOAD'])).code, 0, 'removing one needs no flag');
    assert.deepEqual(await configValues(), {});
  });

  test('given a committed slipway.yaml that sets NODE_OPTIONS, names a non-SLIPWAY_ server variable, or is over 1 MiB, then the run is refused with the reason', async () => {
    repo.write({ 'slipway.yaml': YAML.replace('  staging: {}', '  staging:\n    env: { NODE_OPTIONS: "--require ./evil.js" }') }).commit('inject');
    let r = await cli(['run']);
    refused(r, /environments\.staging\.env\.NODE_OPTIONS: NODE_OPTIONS changes which code a process loads or runs; slipway\.yaml cannot set it/);

    repo.write({ 'slipway.yaml': `${YAML}alertmanager: { token_env: AWS_SECRET_ACCESS_KEY }\n` }).commit('oracle');
    refused(await cli(['run']), /alertmanager\.token_env: invalid value "AWS_SECRET_ACCESS_KEY"\n  expected: the name of an environment variable starting with SLIPWAY_/);

    const big = `${YAML}# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    repo.write({ 'slipway.yaml': big }).commit('huge');
    r = await cli(['run']);
    refused(r, new RegExp(`the file is 2\\.0 MiB \\(${Buffer.byteLength(big)} bytes\\); at most 1\\.0 MiB`));
    const runs = JSON.parse((await cli(['runs', '--json'])).stdout) as unknown[];
    assert.equal(runs.length, 0, 'no run was recorded for any of them');
  });
});
