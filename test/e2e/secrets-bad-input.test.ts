// Bad input to config and secrets, through the real CLI: each gets a clear error and an exit code,
// and changes nothing — no value stored, no key file created or overwritten, nothing decrypted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TempRepo, type CliResult } from './harness.js';

const YAML = `app: bad
build:
  artifact: [app.js]
gates:
  uses-secret: { run: 'test -n "$CI_TOKEN"', secrets: [CI_TOKEN] }
run:
  command: node app.js
environments:
  staging: {}
`;

describe('config and secrets: bad input changes nothing', () => {
  let repo: TempRepo;
  let keys: string;
  const cli = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> =>
    repo.cli(args, { input: opts.input ?? '', env: { XDG_CONFIG_HOME: keys, ...opts.env } });
  const secretNames = async (env: string): Promise<string[]> => {
    const r = await cli(['secrets', 'list', env, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { secrets: { name: string }[] }).secrets.map((s) => s.name);
  };
  const keyFiles = (): string[] => (existsSync(join(keys, 'slipway', 'keys')) ? readdirSync(join(keys, 'slipway', 'keys')) : []);

  before(() => {
    keys = mkdtempSync(join(tmpdir(), 'slipway-keys-'));
    delete process.env.SLIPWAY_MASTER_KEY;
    repo = new TempRepo();
    repo.write({ 'app.js': 'console.log(1)\n', 'slipway.yaml': YAML, '.env.bad': 'GOOD=1\nexport OK="x"\n3BAD=y\nNO_EQUALS\nQ="unterminated\n' }).commit('app');
  });
  after(async () => {
    await repo.dispose();
    rmSync(keys, { recursive: true, force: true });
  });

  test('an empty value from stdin is refused before anything is created', async () => {
    const r = await cli(['secrets', 'set', 'staging', 'API_TOKEN'], { input: '' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the secret value is empty; nothing was stored/);
    const nl = await cli(['secrets', 'set', 'staging', 'API_TOKEN'], { input: '\n' });
    assert.equal(nl.code, 2, 'a lone newline is empty too');
    assert.deepEqual(keyFiles(), [], 'no key file was created');
    assert.deepEqual(await secretNames('staging'), []);
  });

  test('a value given as an argument is refused and never echoed', async () => {
    for (const args of [['secrets', 'set', 'staging', 'API_TOKEN', 'hunter2-value'], ['secrets', 'set', 'staging', 'API_TOKEN=hunter2-value']]) {
      const r = await cli(args, { input: 'from-stdin' });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /takes the value from stdin, never as an argument/);
      assert.ok(!(r.stdout + r.stderr).includes('hunter2'), 'the value is not repeated');
    }
    assert.deepEqual(await secretNames('staging'), []);
  });

  test('invalid names and keys are named, with what to do', async () => {
    const lower = await cli(['secrets', 'set', 'staging', 'api_token'], { input: 'v' });
    assert.equal(lower.code, 2);
    assert.match(lower.stderr, /invalid secret name "api_token"[\s\S]*did you mean API_TOKEN\?/);
    const badKey = await cli(['config', 'set', 'staging', '1BAD=x', 'GOOD=y']);
    assert.equal(badKey.code, 2);
    assert.match(badKey.stderr, /invalid config key "1BAD"/);
    const port = await cli(['config', 'set', 'staging', 'PORT=8080']);
    assert.match(port.stderr, /PORT is set by Slipway itself[\s\S]*slipway env set <env> port=8080/);
    const secretish = await cli(['config', 'set', 'staging', 'DB_PASSWORD=hunter2']);
    assert.equal(secretish.code, 2);
    assert.match(secretish.stderr, /named like a secret[\s\S]*slipway secrets set staging DB_PASSWORD/);
    assert.ok(!secretish.stderr.includes('hunter2'));
    const noEq = await cli(['config', 'set', 'staging', 'LOG_LEVEL']);
    assert.match(noEq.stderr, /expected KEY=VALUE, got "LOG_LEVEL"/);
    const env = await cli(['config', 'set', 'stagin', 'A=1']);
    assert.equal(env.code, 2);
    assert.match(env.stderr, /unknown environment "stagin"[\s\S]*environments in slipway.yaml: staging/);
    const ci = await cli(['config', 'set', 'ci', 'A=1']);
    assert.match(ci.stderr, /"ci" holds the pipeline's secrets only/);
    const setting = await cli(['env', 'set', 'staging', 'port=80a', 'instances=0', 'colour=blue']);
    assert.equal(setting.code, 2);
    assert.match(setting.stderr, /port must be a port number from 1 to 65535, not "80a"\ninstances must be a whole number from 1 to 64, not "0"\nunknown setting "colour"/);
    const list = JSON.parse((await cli(['config', 'list', 'staging', '--json'])).stdout) as { version: number };
    assert.equal(list.version, 0, 'no config version was made');
    const show = JSON.parse((await cli(['env', 'show', 'staging', '--json'])).stdout) as { version: number };
    assert.equal(show.version, 0, 'no settings version was made');
  });

  test('a dotenv file with syntax errors names each line and imports nothing', async () => {
    const r = await cli(['config', 'import', 'staging', '.env.bad']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\.env\.bad is not a valid dotenv file; nothing was changed/);
    assert.match(r.stderr, /\.env\.bad:3:1: invalid key name "3BAD"/);
    assert.match(r.stderr, /\.env\.bad:4:10: expected "=" after NO_EQUALS/);
    assert.match(r.stderr, /\.env\.bad:5:3: unterminated " quote for Q/);
    const missing = await cli(['config', 'import', 'staging', 'nope.env']);
    assert.match(missing.stderr, /cannot read nope\.env: no such file/);
    const list = JSON.parse((await cli(['config', 'list', 'staging', '--json'])).stdout) as { version: number; values: unknown[] };
    assert.deepEqual([list.version, list.values], [0, []]);
  });

  test('a missing master key: clear error, nothing decrypted, the key file not replaced', async () => {
    assert.equal((await cli(['secrets', 'set', 'ci', 'CI_TOKEN'], { input: 'first-value' })).code, 0);
    const [file] = keyFiles();
    assert.ok(file);
    const path = join(keys, 'slipway', 'keys', file);
    const key = readFileSync(path, 'utf8');
    await cli(['server', 'stop']);
    renameSync(path, `${path}.away`);
    const set = await cli(['secrets', 'set', 'ci', 'OTHER'], { input: 'second-value' });
    assert.equal(set.code, 2);
    assert.match(set.stderr, /secrets were encrypted with key id [0-9a-f]{16}; set SLIPWAY_MASTER_KEY or restore the key file/);
    assert.equal(existsSync(path), false, 'no new key file was made in its place');
    const run = await cli(['run']);
    assert.equal(run.code, 1);
    assert.match(run.stdout + run.stderr, /uses-secret[\s\S]*secrets were encrypted with key id/);
    assert.deepEqual(await secretNames('ci'), ['CI_TOKEN'], 'listing needs no key');
    await cli(['server', 'stop']);
    renameSync(`${path}.away`, path);
    assert.equal(readFileSync(path, 'utf8'), key);
  });

  test('a wrong master key in SLIPWAY_MASTER_KEY is refused, naming both key ids', async () => {
    await cli(['server', 'stop']);
    const wrong = Buffer.alloc(32, 1).toString('base64');
    const r = await cli(['secrets', 'set', 'ci', 'OTHER'], { input: 'x-value', env: { SLIPWAY_MASTER_KEY: wrong } });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /SLIPWAY_MASTER_KEY holds the master key with key id [0-9a-f]{16}, but the secrets were encrypted with key id [0-9a-f]{16}; nothing was decrypted/);
    await cli(['server', 'stop']);
    const malformed = await cli(['secrets', 'set', 'ci', 'OTHER'], { input: 'x-value', env: { SLIPWAY_MASTER_KEY: 'too-short' } });
    assert.notEqual(malformed.code, 0);
    assert.match(malformed.stderr, /SLIPWAY_MASTER_KEY must be 32 bytes/);
    assert.ok(!malformed.stderr.includes('too-short'), 'the key text is not repeated');
    await cli(['server', 'stop']);
    assert.deepEqual(await secretNames('ci'), ['CI_TOKEN']);
  });

  test('a corrupted secret record fails authentication, named, and the step gets nothing', async () => {
    await cli(['server', 'stop']);
    const db = new Database(join(repo.dir, '.slipway', 'slipway.db'));
    const row = db.prepare("SELECT ciphertext FROM secret_records WHERE name = 'CI_TOKEN'").get() as { ciphertext: string };
    const bytes = Buffer.from(row.ciphertext, 'base64');
    bytes[2] = (bytes[2] ?? 0) ^ 0x40;
    db.prepare("UPDATE secret_records SET ciphertext = ? WHERE name = 'CI_TOKEN'").run(bytes.toString('base64'));
    db.close();
    const run = await cli(['run']);
    assert.equal(run.code, 1);
    assert.match(run.stdout + run.stderr, /secret CI_TOKEN \(version 1\) of ci failed authentication: the stored record was changed or moved; nothing was decrypted/);
  });

  test('a build that writes a secret it was given into its output is refused; no artifact is made', async () => {
    assert.equal((await cli(['secrets', 'set', 'ci', 'BUILD_TOKEN'], { input: 'build-token-value-123' })).code, 0);
    repo.write({ 'slipway.yaml': 'app: bad\nbuild:\n  run: mkdir -p dist && printf "token=%s" "$BUILD_TOKEN" | base64 > dist/token.txt\n  artifact: [dist/]\n  secrets: [BUILD_TOKEN]\n' }).commit('bakes a secret');
    const run = await cli(['run']);
    assert.equal(run.code, 1);
    assert.match(run.stdout + run.stderr, /the build wrote the value of a secret it was given into dist\/token\.txt; a secret never goes into an artifact/);
    const runs = JSON.parse((await cli(['runs', '--json'])).stdout) as { digest?: string }[];
    assert.equal(runs[0]?.digest, undefined, 'no artifact was recorded');
  });
});
