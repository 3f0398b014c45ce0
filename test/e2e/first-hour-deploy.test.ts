// The first hour of a new user, on the deploy side (issue 15): a health path that 404s fails at
// once and says which key to set; a failed start shows the app's own lines and the likely fix;
// verification probes never hit the app's `/`; a port clash is refused before anything starts.
// One app repository and one control plane serve every case, in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordHome, registryFile } from '../../src/home/registry.js';
import { E2E_STATE_DIR, TempRepo } from './harness.js';
import { envStatus, get, history } from './deploy-harness.js';

// An app that logs every request (as an access log does), counts the paths it is asked, and
// whose behaviour its MODE variable picks: serve, crash at once, or listen on a port of its own.
const SERVER_JS = `
const http = require('node:http');
const mode = process.env.MODE || 'serve';
console.log('\\x1b[32mtiny\\x1b[39m starting in ' + mode + ' mode');
if (mode === 'crash') { console.error('boom: DATABASE_URL is not set'); process.exit(3); }
const hits = {};
const s = http.createServer((req, res) => {
  console.log(req.method + ' ' + req.url + ' ' + (req.headers['user-agent'] || '-'));
  if (req.url === '/hits') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ release: process.env.SLIPWAY_RELEASE, hits })); return; }
  hits[req.url] = (hits[req.url] || 0) + 1;
  if (req.url === '/healthz' || req.url === '/') { res.writeHead(200); res.end('ok'); return; }
  res.writeHead(404); res.end('not found');
});
const port = mode === 'own-port' ? Number(process.env.OWN_PORT) : Number(process.env.PORT);
s.listen(port, '127.0.0.1', () => console.log('listening on ' + port));
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

const YAML = [
  'app: tiny',
  'build:',
  '  run: mkdir -p dist && cp server.cjs dist/',
  '  artifact: [dist/]',
  'run:',
  '  command: node dist/server.cjs',
  '  stop_grace: 1s',
  'gates:',
  '  test: { run: "test ! -f BROKEN" }',
  'environments:',
  '  staging:',
  '    verify: { window: 2s, interval: 200ms, min_samples: 10, inconclusive: probe }',
  '  production:',
  '    deploy: auto',
  '    verify: false',
  '',
].join('\n');

/** A free loopback port, held by nobody once returned. */
const freePort = async (): Promise<number> => {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
};

describe('the first hour, deploy side', () => {
  let repo: TempRepo;
  let url = '';
  let firstRun = '';
  before(async () => {
    repo = new TempRepo();
    repo.write({ 'server.cjs': SERVER_JS, 'slipway.yaml': YAML });
    repo.commit('tiny app');
    const run = await repo.cli(['run']);
    assert.equal(run.code, 0, run.stderr);
    firstRun = run.stdout;
    const d = await repo.cli(['deploy', 'staging']);
    assert.equal(d.code, 0, d.stderr + d.stdout);
    url = (await envStatus(repo, 'staging')).url ?? '';
  });
  after(() => repo.dispose());

  const servesV1 = async (): Promise<void> => {
    assert.equal((JSON.parse((await get(new URL("/hits", url).href)).body) as { release: string }).release, 'v1');
    assert.equal((await envStatus(repo, 'staging')).current?.release, 'v1');
  };

  test('15.5: a probed verification asks the health path, never the app\'s /', async () => {
    // Given v1 verified with probes (no traffic but Slipway's), when its hits are read, then `/`
    // was never asked and the health path took the probes (min_samples: 10 of them at least).
    const { hits } = JSON.parse((await get(new URL("/hits", url).href)).body) as { hits: Record<string, number> };
    assert.equal(hits['/'], undefined, JSON.stringify(hits));
    assert.ok((hits['/healthz'] ?? 0) >= 10, JSON.stringify(hits));
  });

  test('15.2/15.4: a health path that answers 404 fails the start at once, names the key, and shows the app\'s own lines', async () => {
    // The start timeout stays at its 30 s default: only the definite 404s can end the start early.
    const r = await repo.cli(['env', 'set', 'staging', 'health_path=/missing']);
    const text = r.stdout + r.stderr;
    assert.equal(r.code, 1, text);
    assert.match(text, /GET \/missing answered 404: set run\.health\.path/);
    assert.doesNotMatch(text, /within the start timeout/);
    // The app's first line, escapes stripped, once; none of the lines logging the probes.
    assert.equal(text.split('tiny starting in serve mode').length - 1, 1, text);
    assert.doesNotMatch(text, /\x1b\[/);
    assert.doesNotMatch(text, /GET \/missing slipway-probe/);
    assert.match(text, /health probes of \/missing left out/);
    assert.match(text, /\nfix: GET \/missing answered 404: set run\.health\.path .*slipway env set staging health_path=/);
    await servesV1();
    assert.equal((await repo.cli(['env', 'unset', 'staging', 'health_path', '--no-deploy'])).code, 0);
  });

  test('15.4: an app that exits at once shows its exit code, its last lines and the fix', async () => {
    const r = await repo.cli(['config', 'set', 'staging', 'MODE=crash']);
    const text = r.stdout + r.stderr;
    assert.equal(r.code, 1, text);
    assert.match(text, /exited with code 3/);
    assert.match(text, /app output:\n {2}tiny starting in crash mode\n {2}boom: DATABASE_URL is not set\n/);
    assert.match(text, /\nfix: "node dist\/server\.cjs" exited with code 3 before it answered GET \/healthz: its last lines above say why/);
    await servesV1();
  });

  test('15.4: an app that listens on a port of its own, not $PORT, gets the $PORT hint', async () => {
    // Long enough for the app to print its lines on a busy machine, short enough to wait out.
    assert.equal((await repo.cli(['env', 'set', 'staging', 'start_timeout=4s', '--no-deploy'])).code, 0);
    const r = await repo.cli(['config', 'set', 'staging', 'MODE=own-port', `OWN_PORT=${await freePort()}`]);
    const text = r.stdout + r.stderr;
    assert.equal(r.code, 1, text);
    assert.match(text, /app output:\n {2}tiny starting in own-port mode\n {2}listening on \d+\n/);
    assert.match(text, /\nfix: nothing answered GET \/healthz in time: make the app listen on 127\.0\.0\.1:\$PORT \(\d+ this time\)/);
    await servesV1();
    assert.equal((await repo.cli(['config', 'unset', 'staging', 'MODE', 'OWN_PORT', '--no-deploy'])).code, 0);
    assert.equal((await repo.cli(['env', 'unset', 'staging', 'start_timeout', '--no-deploy'])).code, 0);
  });

  test('15.6: a port held by another process, or claimed by another environment or app, is refused before anything starts', async () => {
    const releasesBefore = (await history(repo, 'staging')).length;
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const r = await repo.cli(['env', 'set', 'staging', `port=${taken}`]);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`port ${taken} of staging is taken by another process on this machine; nothing was started`));
      assert.match(r.stderr, /slipway env set staging port=\d+/);
      const fix = Number(/slipway env set staging port=(\d+)/.exec(r.stderr)?.[1]);
      assert.notEqual(fix, taken);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    assert.equal((await history(repo, 'staging')).length, releasesBefore, 'no deployment was recorded');
    await servesV1();
    assert.equal((await repo.cli(['env', 'unset', 'staging', 'port', '--no-deploy'])).code, 0);

    // Production claims the port staging serves on: refused, naming staging.
    const stagingPort = (await envStatus(repo, 'staging')).port ?? 0;
    assert.equal((await repo.cli(['env', 'set', 'production', `port=${stagingPort}`])).code, 0);
    const p = await repo.cli(['deploy', 'production']);
    assert.equal(p.code, 4, p.stdout + p.stderr);
    assert.match(p.stderr, new RegExp(`port ${stagingPort} of production is already the port of environment staging`));
    assert.match(p.stderr, /slipway env set production port=\d+/);
    assert.match((await repo.cli(['history', 'production', '--json'])).stdout, /nothing was deployed to it/);
    assert.equal((await repo.cli(['env', 'unset', 'production', 'port'])).code, 0);

    // Another Slipway app of this user claims a port (in the per-user registry) that nothing holds
    // now: it would clash as soon as that app serves again, so it is refused too.
    const other = mkdtempSync(join(tmpdir(), 'slipway-e2e-other-app-'));
    const claimed = await freePort();
    recordHome(join(other, '.slipway'), { repo: other, app: 'shop', ports: { staging: claimed }, by: 'init' }, registryFile({ SLIPWAY_STATE_DIR: E2E_STATE_DIR }));
    try {
      const c = await repo.cli(['env', 'set', 'staging', `port=${claimed}`]);
      assert.equal(c.code, 4, c.stdout + c.stderr);
      assert.match(c.stderr, new RegExp(`port ${claimed} of staging is already the port of another Slipway app: shop \\(staging\\)`));
      assert.match(c.stderr, /slipway env set staging port=\d+/);
    } finally {
      rmSync(other, { recursive: true, force: true }); // the registry drops entries whose repository is gone
    }
    await servesV1();
    assert.equal((await repo.cli(['env', 'unset', 'staging', 'port', '--no-deploy'])).code, 0);
  });

  test('15.7: a run says it deployed nothing by itself, and what deploy: auto reacts to', () => {
    assert.match(firstRun, /no automatic deployment: production \(`deploy: auto`\) is deployed when main advances through the merge queue \(`slipway merge`\), not by `slipway run`/);
  });

  test('15.7: deploy names the run and commit it ships; the same build and config again is a no-op that says so', async () => {
    const d = await repo.cli(['deploy', 'staging']);
    assert.equal(d.code, 0, d.stderr + d.stdout);
    assert.match(d.stdout, /^deploying run #1 of commit [0-9a-f]{10} \("tiny app"\), the newest commit$/m);
    const before = await history(repo, 'staging');
    const again = await repo.cli(['deploy', 'staging']);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.match(again.stdout, new RegExp(`staging already runs sha256:[0-9a-f]{64} with this config as v${before[0]?.release}: nothing to deploy`));
    assert.equal((await history(repo, 'staging')).length, before.length, 'no new release');
  });

  test('15.7: a newest commit that failed its run is refused, not replaced by an older green build; its digest needs --force', async () => {
    const green = (await history(repo, 'staging'))[0];
    repo.write({ BROKEN: 'the gate fails on this commit\n', 'server.cjs': `${SERVER_JS}// changed\n` });
    repo.commit('broken');
    const run = await repo.cli(['run']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /no automatic deployment/, 'a failed run deploys nothing and says nothing about it');
    const runs = JSON.parse((await repo.cli(['runs', '--json'])).stdout) as { number: number; status: string; digest?: string }[];
    const broken = runs.find((r) => r.status === 'failed');
    assert.ok(broken?.digest, 'the failed run built an artifact before its gate failed');

    const d = await repo.cli(['deploy', 'staging']);
    assert.equal(d.code, 4, d.stdout + d.stderr);
    assert.match(d.stderr, new RegExp(`the newest commit [0-9a-f]{10} \\("broken"\\) failed its run #${broken.number}`));
    assert.match(d.stderr, new RegExp(`slipway deploy staging --digest ${green?.digest ?? '?'}`));

    const hand = await repo.cli(['deploy', 'staging', '--digest', broken.digest]);
    assert.equal(hand.code, 4, hand.stdout + hand.stderr);
    assert.match(hand.stderr, new RegExp(`${broken.digest} was built by run #${broken.number}, which failed`));
    assert.equal((await history(repo, 'staging'))[0]?.id, green?.id, 'nothing was deployed');

    const forced = await repo.cli(['deploy', 'staging', '--digest', broken.digest, '--force']);
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    const h = await history(repo, 'staging');
    assert.deepEqual([h[0]?.digest, h[0]?.forced], [broken.digest, true]);
  });
});
