// `slipway secrets rotate-key`: every version re-encrypted under a new key, all or nothing; a key
// file is replaced (the old one kept, 0600); a key from SLIPWAY_MASTER_KEY goes to a new --key-out
// file, and afterwards only the new key opens the secrets.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempRepo, type CliResult } from './harness.js';

const YAML = `app: rotating
build:
  artifact: [app.js]
gates:
  check: { run: 'test "$CI_TOKEN" = "the-ci-token-value"', secrets: [CI_TOKEN] }
`;

interface Rotation {
  rewritten: number;
  fromKeyIds: string[];
  toKeyId: string;
  keyFile: string;
  retiredKeyFile: string | null;
}

describe('rotating the master key', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const setup = (): { repo: TempRepo; keys: string; cli: (args: string[], opts?: { input?: string; env?: Record<string, string> }) => Promise<CliResult> } => {
    const keys = mkdtempSync(join(tmpdir(), 'slipway-keys-'));
    delete process.env.SLIPWAY_MASTER_KEY;
    const repo = new TempRepo();
    repo.write({ 'app.js': '1\n', 'slipway.yaml': YAML }).commit('app');
    cleanup.push(() => rmSync(keys, { recursive: true, force: true }), () => repo.dispose());
    return { repo, keys, cli: (args, opts = {}) => repo.cli(args, { input: opts.input ?? '', env: { XDG_CONFIG_HOME: keys, ...opts.env } }) };
  };

  test('with a key file: new key in place, old one retired, secrets open with the new key only', { timeout: 60_000 }, async () => {
    const { keys, cli } = setup();
    assert.equal((await cli(['secrets', 'set', 'ci', 'CI_TOKEN'], { input: 'the-ci-token-value' })).code, 0);
    assert.equal((await cli(['secrets', 'set', 'ci', 'CI_TOKEN'], { input: 'the-ci-token-value' })).code, 0, 'a second version');
    const dir = join(keys, 'slipway', 'keys');
    const [file] = readdirSync(dir);
    assert.ok(file);
    const before = readFileSync(join(dir, file), 'utf8');
    const r = await cli(['secrets', 'rotate-key', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rot = JSON.parse(r.stdout) as Rotation;
    assert.equal(rot.rewritten, 2, 'every version, not only the latest');
    assert.notEqual(rot.toKeyId, rot.fromKeyIds[0]);
    assert.equal(rot.keyFile, join(dir, file));
    assert.notEqual(readFileSync(join(dir, file), 'utf8'), before);
    assert.equal(readFileSync(rot.retiredKeyFile ?? '', 'utf8'), before);
    assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);
    const list = JSON.parse((await cli(['secrets', 'list', 'ci', '--json'])).stdout) as { secrets: { keyId: string }[] };
    assert.deepEqual(list.secrets.map((s) => s.keyId), [rot.toKeyId]);
    assert.equal((await cli(['run'])).code, 0, 'the running control plane opens them with the new key');
    await cli(['server', 'stop']);
    assert.equal((await cli(['run'])).code, 0, 'a new control plane reads the new key file');
  });

  test('with SLIPWAY_MASTER_KEY: --key-out is required, outside the repository; the old key is refused afterwards', { timeout: 60_000 }, async () => {
    const { repo, keys, cli } = setup();
    const old = Buffer.alloc(32, 7).toString('base64');
    const withOld = { SLIPWAY_MASTER_KEY: old };
    assert.equal((await cli(['secrets', 'set', 'ci', 'CI_TOKEN'], { input: 'the-ci-token-value', env: withOld })).code, 0);
    assert.deepEqual(readdirSync(keys), [], 'no key file is made when the key comes from the environment');
    const bare = await cli(['secrets', 'rotate-key'], { env: withOld });
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /comes from SLIPWAY_MASTER_KEY[\s\S]*--key-out FILE/);
    const inside = await cli(['secrets', 'rotate-key', '--key-out', join(repo.dir, 'new.key')], { env: withOld });
    assert.equal(inside.code, 4);
    assert.match(inside.stderr, /inside the repository or the Slipway home/);
    const out = join(keys, 'new.key');
    const r = await cli(['secrets', 'rotate-key', '--key-out', out], { env: withOld });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /set SLIPWAY_MASTER_KEY to it and restart the control plane/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const again = await cli(['secrets', 'rotate-key', '--key-out', out], { env: withOld });
    assert.match(again.stderr, /already exists; it is never overwritten/);
    await cli(['server', 'stop']);
    const refused = await cli(['run'], { env: withOld });
    assert.equal(refused.code, 1);
    assert.match(refused.stdout + refused.stderr, /SLIPWAY_MASTER_KEY holds the master key with key id/);
    await cli(['server', 'stop']);
    const ok = await cli(['run'], { env: { SLIPWAY_MASTER_KEY: readFileSync(out, 'utf8').trim() } });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });
});
