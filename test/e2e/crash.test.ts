// Given a serving environment under load, when the control plane, the CLI or the proxy is killed
// with SIGKILL in the middle of a deployment, then the next command resolves the deployment, there
// is exactly one current release, and no request to the environment fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TempRepo } from './harness.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { envStatus, get, history, liveInstances } from './deploy-harness.js';
import { load } from './proxy-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

const SERVER_JS = `
const http = require('node:http');
const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'application/json'}); res.end(JSON.stringify({ release: process.env.SLIPWAY_RELEASE })); }); });
// SLOW_START (ms) keeps a start in flight long enough to kill the control plane in the middle of it.
setTimeout(() => s.listen(Number(process.env.PORT), '127.0.0.1'), Number(process.env.SLOW_START || 0));
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

const repoWithWindow = (window: string): TempRepo => {
  const repo = new TempRepo();
  repo.write({
    'server.cjs': SERVER_JS,
    'slipway.yaml': ['app: crash', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]', 'run:', '  command: node dist/server.cjs', '  stop_grace: 2s', 'environments:', '  staging:', `    verify: { window: ${window}, interval: 100ms }`, ''].join('\n'),
  });
  repo.commit('crash app');
  return repo;
};

const serverPid = (repo: TempRepo): number => (JSON.parse(readFileSync(join(repo.dir, '.slipway/server.json'), 'utf8')) as { pid: number }).pid;
const proxyPid = (repo: TempRepo): number => (JSON.parse(readFileSync(join(repo.dir, '.slipway/proxy/proxy.json'), 'utf8')) as { pid: number }).pid;

describe('crash safety', () => {
  let repo: TempRepo;
  let url = '';
  before(async () => {
    repo = repoWithWindow('4s');
    assert.equal((await repo.cli(['run'])).code, 0);
    const first = await repo.cli(['deploy', 'staging']);
    assert.equal(first.code, 0, first.stderr);
    url = (await envStatus(repo, 'staging')).url ?? '';
  });
  after(() => repo.dispose());

  test('kill -9 of the control plane while verifying: the next command resumes it; nothing is dropped', async () => {
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const traffic = Promise.all([load({ url, until, keepAlive: true, concurrency: 4 }), load({ url, until, keepAlive: false, concurrency: 2 })]);
    // --force: the same build and config already serve, and a new release is what is tested.
    const started = await repo.cli(['deploy', 'staging', '--force', '--detach', '--json']);
    const id = (JSON.parse(started.stdout) as { deployment: { id: string } }).deployment.id;
    // Followed as it happens rather than polled with a command per look: on a loaded machine a
    // poll can come back after the whole window has passed, and there is nothing left to resume.
    const follower = repo.spawn(['logs', id, '--follow']);
    let followed = '';
    follower.stdout?.on('data', (c: Buffer) => (followed += c.toString()));
    try {
      await waitFor(() => followed.includes('→ verifying'), { what: `${id} to be verifying`, interval: 10 });
    } finally {
      follower.kill('SIGKILL');
    }
    process.kill(serverPid(repo), 'SIGKILL');
    await sleep(300);
    // Any command starts a new control plane, which resumes the deployment.
    await waitFor(async () => typeof (await history(repo, 'staging'))[0]?.finished_at === 'string', { what: `${id} to finish`, interval: 200 });
    stop();
    const [ka, fresh] = await traffic;
    assert.equal(ka.errors + ka.non2xx, 0, `keep-alive: ${ka.firstError}`);
    assert.equal(fresh.errors + fresh.non2xx, 0, `new connections: ${fresh.firstError}`);
    assert.ok(ka.total + fresh.total > 100, 'traffic flowed throughout');
    const h = await history(repo, 'staging');
    assert.equal(h[0]?.id, id);
    assert.equal(h[0]?.status, 'succeeded');
    assert.match((await repo.cli(['logs', id])).stdout, /resumed after a control-plane restart/);
    const current = h.filter((d) => d.status === 'succeeded');
    assert.equal((await envStatus(repo, 'staging')).current?.release, `v${current[0]?.release}`, 'one current release');
    assert.equal((JSON.parse((await get(url)).body) as { release: string }).release, `v${h[0]?.release}`);
  });

  test('kill -9 of the CLI does not stop the deployment it started', async () => {
    const child = repo.spawn(['deploy', 'staging', '--force']);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => out.includes('→ starting'), { what: 'the deployment to start' });
    child.kill('SIGKILL');
    await waitFor(async () => typeof (await history(repo, 'staging'))[0]?.finished_at === 'string', { what: 'the deployment to finish', interval: 200 });
    const h = await history(repo, 'staging');
    assert.equal(h[0]?.status, 'succeeded');
  });

  test('kill -9 of the proxy: the control plane restarts it with its routes', async () => {
    const before = proxyPid(repo);
    process.kill(before, 'SIGKILL');
    // How fast it comes back is measured by `npm run bench -- proxy-restart`, not asserted here.
    await waitFor(async () => (await get(url)).status === 200, { what: 'the proxy to serve again' });
    assert.notEqual(proxyPid(repo), before);
    assert.equal((await get(url)).status, 200);
  });
});

describe('crash safety: a start cut off by a crash', () => {
  let repo: TempRepo;
  let url = '';
  before(async () => {
    repo = repoWithWindow('500ms');
    assert.equal((await repo.cli(['run'])).code, 0);
    const first = await repo.cli(['deploy', 'staging']);
    assert.equal(first.code, 0, first.stderr);
    url = (await envStatus(repo, 'staging')).url ?? '';
  });
  after(() => repo.dispose());

  test('kill -9 of the control plane while instances start: the next one sweeps the orphans, resumes, and nothing is dropped', async () => {
    const home = join(repo.dir, '.slipway');
    const area = sandboxDirOf(home);
    const serving = new Set((await envStatus(repo, 'staging')).instances.map((i) => i.id));
    // The next release's app takes 3 s to listen: its shim and app are up, not yet recorded.
    assert.equal((await repo.cli(['config', 'set', 'staging', 'SLOW_START=3000', '--no-deploy'])).code, 0);
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const traffic = load({ url, until, keepAlive: false, concurrency: 2 });
    const started = await repo.cli(['deploy', 'staging', '--detach', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const id = (JSON.parse(started.stdout) as { deployment: { id: string } }).deployment.id;
    const starting = (): string[] => {
      try {
        return readdirSync(join(home, 'run', 'staging')).map((f) => f.replace(/\.json$/, '')).filter((i) => !serving.has(i));
      } catch {
        return [];
      }
    };
    await waitFor(() => [...liveInstances(area).values()].some((i) => starting().includes(i)), { what: 'a new instance to be starting', interval: 10 });
    const cutOff = starting();
    process.kill(serverPid(repo), 'SIGKILL');
    await sleep(300);
    // Any command starts a new control plane: it sweeps the cut-off start's shims, then resumes.
    await waitFor(async () => typeof (await history(repo, 'staging'))[0]?.finished_at === 'string', { what: `${id} to finish`, interval: 200, timeout: 60_000 });
    stop();
    const load1 = await traffic;
    assert.equal(load1.errors + load1.non2xx, 0, `requests failed: ${load1.firstError}`);
    assert.equal((await history(repo, 'staging'))[0]?.status, 'succeeded');

    const owned = new Set((await envStatus(repo, 'staging')).instances.map((i) => i.id));
    const live = liveInstances(area);
    for (const [pid, instance] of live) assert.ok(owned.has(instance), `process ${pid} of ${instance} runs, but no release owns it`);
    for (const i of cutOff) assert.ok(![...live.values()].includes(i), `${i} of the cut-off start still runs`);
    const events = JSON.parse((await repo.cli(['events', '--json', '-n', '500'])).stdout) as { kind: string; data: { instances?: { id: string }[] } }[];
    const swept = events.filter((e) => e.kind === 'runtime.orphans_swept').flatMap((e) => e.data.instances?.map((x) => x.id) ?? []);
    assert.deepEqual(swept.sort(), [...cutOff].sort(), 'the sweep is in the audit trail');
    assert.equal((await repo.cli(['events', 'verify'])).code, 0);
  });
});
