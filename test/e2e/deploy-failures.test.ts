// Given a serving environment, when a deployment cannot succeed (the app exits at once, never
// becomes healthy, its port is taken) or another holds the lock, then it fails clearly and the
// previous release keeps serving; and the machine can be rebuilt from its recorded state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { TempRepo } from './harness.js';
import { envStatus, get, history } from './deploy-harness.js';

const SERVER_JS = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.writeHead(200, {'content-type': 'application/json'}); res.end(JSON.stringify({ release: process.env.SLIPWAY_RELEASE, path: req.url })); });
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

const yaml = (command: string, extra = '', startTimeout = '2s'): string =>
  [
    'app: tiny',
    'build:',
    '  run: mkdir -p dist && cp server.cjs dist/',
    '  artifact: [dist/]',
    'run:',
    `  command: ${JSON.stringify(command)}`,
    `  health: { path: /healthz, start_timeout: ${startTimeout} }`,
    '  stop_grace: 1s',
    'environments:',
    '  staging:',
    '    verify: { window: 1s, interval: 100ms, min_samples: 10 }',
    extra,
    '',
  ].join('\n');

const tinyRepo = (): TempRepo => {
  const repo = new TempRepo();
  repo.write({ 'server.cjs': SERVER_JS, 'slipway.yaml': yaml('node dist/server.cjs') });
  repo.commit('tiny app');
  return repo;
};

/** Commits a new slipway.yaml and runs its pipeline (same files: the digest stays the same). */
const commitAndRun = async (repo: TempRepo, text: string): Promise<void> => {
  repo.write({ 'slipway.yaml': text });
  repo.commit('change slipway.yaml');
  const r = await repo.cli(['run']);
  assert.equal(r.code, 0, r.stderr);
};

describe('deployments that fail', () => {
  let repo: TempRepo;
  let url = '';
  before(async () => {
    repo = tinyRepo();
    assert.equal((await repo.cli(['run'])).code, 0);
    const d = await repo.cli(['deploy', 'staging']);
    assert.equal(d.code, 0, d.stderr + d.stdout);
    url = (await envStatus(repo, 'staging')).url ?? '';
  });
  after(() => repo.dispose());

  const stillServesV1 = async (): Promise<void> => {
    const r = await get(url);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { release: string }).release, 'v1');
    assert.equal((await envStatus(repo, 'staging')).current?.release, 'v1');
  };

  test('a run command that exits at once fails the deployment with its exit code; v1 keeps serving', async () => {
    // A long start timeout: the app exits at once, so nothing waits for it; on a loaded machine a
    // short one could end the start before node had even printed its line.
    await commitAndRun(repo, yaml('node -e "console.error(\'boom: no config\'); process.exit(3)"', '', '30s'));
    const r = await repo.cli(['deploy', 'staging']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /v2 did not start/);
    assert.match(r.stderr, /boom: no config/);
    await stillServesV1();
    assert.equal((await history(repo, 'staging'))[0]?.status, 'failed');
  });

  test('an app that never becomes healthy fails after its start timeout; v1 keeps serving', async () => {
    await commitAndRun(repo, yaml('node -e "setInterval(() => {}, 1000)"'));
    const r = await repo.cli(['deploy', 'staging']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did not start/);
    assert.match(r.stderr, /within the start timeout \(2000 ms/);
    await stillServesV1();
  });

  test('a port already taken fails clearly and changes nothing', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await commitAndRun(repo, yaml('node dist/server.cjs').replace('  staging:\n', `  staging:\n    port: ${port}\n`));
      const r = await repo.cli(['deploy', 'staging']);
      assert.equal(r.code, 4, 'refused before anything starts');
      assert.match(r.stderr, new RegExp(`port ${port} of staging is taken by another process`));
      assert.match(r.stderr, /slipway env set staging port=\d+/);
      await stillServesV1();
    } finally {
      blocker.close();
    }
  });

  test('one deployment per environment: --no-wait gets exit 3 naming the holder, a waiting one goes after', async () => {
    await commitAndRun(repo, yaml('node dist/server.cjs').replace('verify: { window: 1s, interval: 100ms, min_samples: 10 }', 'verify: { window: 3s }'));
    const first = await repo.cli(['deploy', 'staging', '--detach', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const id = (JSON.parse(first.stdout) as { deployment: { id: string } }).deployment.id;
    const busy = await repo.cli(['deploy', 'staging', '--no-wait']);
    assert.equal(busy.code, 3);
    assert.match(busy.stderr, new RegExp(`staging is locked by .*${id}`));
    // --force: once the first is done, the same build and config serve, which alone would be a no-op.
    const waiting = await repo.cli(['deploy', 'staging', '--force']);
    assert.equal(waiting.code, 0, waiting.stderr + waiting.stdout);
    assert.match(waiting.stderr, /waiting: staging is locked/);
    const h = await history(repo, 'staging');
    assert.equal(h[1]?.id, id);
    assert.equal(h[1]?.status, 'succeeded');
    assert.equal(h[0]?.status, 'succeeded');
  });
});

describe('rebuild from scratch', () => {
  test('slipway up converges from nothing (no proxy, no instance), idempotently', async () => {
    const repo = tinyRepo();
    try {
      assert.equal((await repo.cli(['run'])).code, 0);
      assert.equal((await repo.cli(['deploy', 'staging'])).code, 0);
      const url = (await envStatus(repo, 'staging')).url ?? '';
      const down = await repo.cli(['down']);
      assert.equal(down.code, 0, down.stderr);
      await assert.rejects(fetch(url), 'nothing serves after down');
      assert.equal((await repo.cli(['server', 'stop'])).code, 0);

      const up = await repo.cli(['up', '--json']);
      assert.equal(up.code, 0, up.stderr);
      const report = JSON.parse(up.stdout) as { ms: number; environments: { env: string; started: number; adopted: number }[] };
      assert.deepEqual(report.environments.map((e) => [e.env, e.started, e.adopted]), [['staging', 1, 0]]);
      assert.ok(report.ms > 0);
      assert.equal((JSON.parse((await get(url)).body) as { release: string }).release, 'v1');

      const again = JSON.parse((await repo.cli(['up', '--json'])).stdout) as { environments: { started: number; adopted: number }[] };
      assert.deepEqual(again.environments.map((e) => [e.started, e.adopted]), [[0, 1]], 'idempotent');
      const text = await repo.cli(['up']);
      assert.match(text.stdout, /converged in \d+\.\d\ds/);
    } finally {
      await repo.dispose();
    }
  });
});
