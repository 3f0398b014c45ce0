// Given bad input of every kind the foundation reads, then the CLI says what is wrong and what to
// do next, exits with the documented code, and changes nothing.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempRepo, minimalApp } from './harness.js';

const repos: TempRepo[] = [];
const track = (r: TempRepo): TempRepo => (repos.push(r), r);
after(async () => {
  for (const r of repos) await r.dispose();
});

const runsOf = async (repo: TempRepo): Promise<unknown[]> => JSON.parse((await repo.cli(['runs', '--json'])).stdout) as unknown[];

describe('bad input', () => {
  test('outside a git repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-nogit-'));
    try {
      const probe = new TempRepo();
      const r = await probe.cli(['run'], { cwd: dir });
      await probe.dispose();
      assert.equal(r.code, 2);
      assert.match(r.stderr, /is not inside a git repository/);
      assert.match(r.stderr, /git init/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no slipway.yaml', async () => {
    const repo = track(new TempRepo());
    repo.write({ 'README.md': 'hi' });
    repo.commit('no config');
    const r = await repo.cli(['run']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has no slipway\.yaml/);
    assert.match(r.stderr, /slipway init/);
    assert.deepEqual(await runsOf(repo), []);
  });

  const invalid: [string, string, RegExp][] = [
    ['a YAML syntax error', 'app: x\nbuild:\n  run: [unclosed\n  artifact: [dist/]\n', /slipway\.yaml:\d+:\d+/],
    ['a step with no command', 'app: x\nbuild:\n  artifact: [dist/]\ngates:\n  test: { needs: [] }\n', /gates\.test/],
    ['a needs cycle', 'app: x\nbuild:\n  artifact: [dist/]\ngates:\n  a: { run: "true", needs: [b] }\n  b: { run: "true", needs: [a] }\n', /cycle/],
    ['an unknown step in needs', 'app: x\nbuild:\n  artifact: [dist/]\ngates:\n  a: { run: "true", needs: [biuld] }\n', /biuld/],
    ['an artifact path escaping the repository', 'app: x\nbuild:\n  artifact: [../outside]\n', /build\.artifact\[0\]/],
    ['an unknown key', 'app: x\nbuild:\n  artifcat: [dist/]\n', /did you mean "artifact"/],
  ];
  for (const [what, yaml, expected] of invalid) {
    test(`slipway.yaml with ${what}`, async () => {
      const repo = track(new TempRepo());
      repo.write({ 'slipway.yaml': yaml });
      repo.commit(what);
      const r = await repo.cli(['run']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /is not valid/);
      assert.match(r.stderr, expected);
      assert.deepEqual(await runsOf(repo), [], 'no run was recorded');
    });
  }

  test('an artifact path that the build did not produce fails the build step, naming the path', async () => {
    const repo = track(new TempRepo());
    repo.write({ 'slipway.yaml': 'app: x\nbuild:\n  run: mkdir -p dist && touch dist/a\n  artifact: [dist/, out/missing.js]\n' });
    repo.commit('missing');
    const r = await repo.cli(['run']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /step "build" failed: .*out\/missing\.js/);
    assert.deepEqual(JSON.parse((await repo.cli(['artifacts', 'ls', '--json'])).stdout), []);
  });

  test('a ref that does not exist', async () => {
    const repo = track(new TempRepo());
    repo.write(minimalApp());
    repo.commit('ok');
    const r = await repo.cli(['run', '--ref', 'no-such-branch']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ref "no-such-branch" does not name a commit/);
    assert.deepEqual(await runsOf(repo), []);
  });

  test('a missing or ambiguous artifact, and unknown runs', async () => {
    const repo = track(new TempRepo());
    repo.write(minimalApp());
    repo.commit('ok');
    const v = await repo.cli(['artifacts', 'verify', 'sha256:' + 'ab'.repeat(32)]);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /artifacts ls/);
    const logs = await repo.cli(['logs', 'r99']);
    assert.equal(logs.code, 2);
    assert.match(logs.stderr, /no run "r99"/);
  });

  test('bad arguments get exit 2, one prefix, Slipway\'s own message and the command\'s usage', async () => {
    const repo = track(new TempRepo());
    const unknownFlag = await repo.cli(['run', '--no-such-flag']);
    assert.equal(unknownFlag.code, 2);
    assert.equal(unknownFlag.stderr.split('\n')[0], 'slipway run: unknown option --no-such-flag');
    assert.match(unknownFlag.stderr, /usage: slipway run \[--ref REF\]/);
    assert.match(unknownFlag.stderr, /slipway run --help/);
    assert.doesNotMatch(unknownFlag.stderr, /To specify a positional argument/);
    const typo = await repo.cli(['deploy', 'staging', '--dettach']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /^slipway deploy: unknown option --dettach\n {2}→ did you mean --detach\?/);
    const badN = await repo.cli(['runs', '-n', 'lots']);
    assert.equal(badN.code, 2);
    assert.match(badN.stderr, /^slipway runs: -n must be a whole number from 1 to 10000, not "lots"/);
    const missing = await repo.cli(['deploy']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.split('slipway deploy:').length, 2, missing.stderr);
    const unknownCmd = await repo.cli(['rnu']);
    assert.equal(unknownCmd.code, 2);
    assert.match(unknownCmd.stderr, /unknown command "rnu" — did you mean "run"\?/);
    const help = await repo.cli(['run', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: slipway run/);
    assert.equal(existsSync(join(repo.dir, '.slipway')), false, 'no bad command line started anything');
  });

  test('a control plane that cannot be reached is reported with the real log path under SLIPWAY_HOME', async () => {
    const repo = new TempRepo();
    const home = join(repo.dir, 'elsewhere', 'home');
    try {
      // A port that refuses: taken from the system, then released.
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((r) => probe.close(r));
      mkdirSync(home, { recursive: true, mode: 0o700 });
      // A live pid (this test's own) behind server.json is trusted for starting work.
      writeFileSync(join(home, 'server.json'), JSON.stringify({ pid: process.pid, port, repo: repo.dir, version: 'x' }));
      writeFileSync(join(home, 'token'), `${'t'.repeat(43)}\n`, { mode: 0o600 });
      const r = await repo.cli(['runs'], { env: { SLIPWAY_HOME: home } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^slipway runs: cannot reach the control plane/);
      assert.ok(r.stderr.includes(`the log is ${join(home, 'server.log')}`), r.stderr);
      assert.doesNotMatch(r.stderr, /\.slipway\/server\.log/);
    } finally {
      rmSync(repo.dir, { recursive: true, force: true });
    }
  });

  test('the API refuses requests without the token', async () => {
    const repo = track(new TempRepo());
    repo.write(minimalApp());
    repo.commit('ok');
    const s = JSON.parse((await repo.cli(['server', 'status', '--json'])).stdout) as { running: boolean };
    if (!s.running) await repo.cli(['runs']);
    const info = JSON.parse((await repo.cli(['server', 'status', '--json'])).stdout) as { port: number };
    const noToken = await fetch(`http://127.0.0.1:${info.port}/v1/runs`);
    assert.equal(noToken.status, 401);
    const wrong = await fetch(`http://127.0.0.1:${info.port}/v1/runs`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await runsOf(repo), []);
  });
});
