// Several Docker hosts (issue 14.3), through the real CLI and control plane: three hosts, each a
// network namespace with its own dockerd, registry mirror and Slipway proxy, reached only through
// their unix sockets (src/test-support/docker-hosts.ts). A deployment rolls out host by host with a
// first-host barrier; a release that fails on the first host never touches the others; a host that
// cannot be reached follows on_host_down (rollback, skip, wait); traffic through every host's proxy
// during a deploy has no failed request.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { dockerHostsUnavailable, startHosts, type TestHost, type TestHosts } from '../../src/test-support/docker-hosts.js';
import { waitFor } from '../../src/test-support/wait.js';
import { TempRepo } from './harness.js';

const APP = `
import { createServer } from 'node:http';
if (process.env.BROKEN) { console.error('broken on purpose'); process.exit(3); }
process.on('SIGTERM', () => server.close(() => process.exit(0)));
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(process.env.SLIPWAY_RELEASE + '\\n');
});
server.keepAliveTimeout = 1000;
server.listen(Number(process.env.PORT), '127.0.0.1');
`;

/** Requests through one host's proxy until SIGTERM (at most `max`), 4 at a time; prints the counts. */
const LOAD = `
import http from 'node:http';
const [port, max] = process.argv.slice(2).map(Number);
let stop = false;
process.on('SIGTERM', () => (stop = true));
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const out = { ok: 0, failed: 0, first: null, last: null, errors: [] };
const one = () => new Promise((resolve) => {
  const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => {
      if (res.statusCode === 200) { out.ok++; out.first ??= body.trim(); out.last = body.trim(); }
      else { out.failed++; out.errors.push(res.statusCode + ' ' + body.slice(0, 80)); }
      resolve();
    });
  });
  req.on('error', (e) => { out.failed++; out.errors.push(e.message); resolve(); });
});
while (!stop && out.ok + out.failed < max) {
  await Promise.all([one(), one(), one(), one()]);
  await new Promise((r) => setTimeout(r, 25));
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;

/** What answers `GET /` on the host's proxy, from inside the host. */
const FETCH = `
const r = await fetch('http://127.0.0.1:' + process.argv[1] + '/').catch((e) => null);
process.stdout.write(r === null ? 'unreachable' : r.status === 200 ? (await r.text()).trim() : String(r.status));
`;

interface HostEvent {
  at: string;
  step: string;
  release: string;
  host: string;
  state: string;
  message: string | null;
}

describe('several docker hosts', { skip: dockerHostsUnavailable() ?? false }, () => {
  let env: TestHosts;
  let repo: TempRepo;
  const port = 18_080;
  const [web1, web2, web3] = ['web-1', 'web-2', 'web-3'];

  const yaml = (opts: { command?: string; onHostDown?: string; strategy?: string } = {}): string => [
    'app: multi',
    'build:',
    '  run: mkdir -p dist && cp server.mjs dist/',
    '  artifact: [dist/]',
    '  image: true',
    `  registry: ${env.registry}/slipway/multi`,
    'run:',
    `  command: ${opts.command ?? 'exec node dist/server.mjs'}`,
    '  health: { path: /healthz, interval: 100ms, start_timeout: 8s }',
    '  stop_grace: 2s',
    'environments:',
    '  production:',
    '    runtime: docker',
    `    port: ${port}`,
    `    strategy: ${opts.strategy ?? 'blue-green'}`,
    '    verify: false',
    '    hosts:',
    ...env.hosts.map((h) => `      - { name: ${h.name}, docker: "unix://${h.docker}", proxy: "unix://${h.proxy}" }`),
    ...(opts.onHostDown === undefined ? [] : [`    on_host_down: ${opts.onHostDown}`]),
    '',
  ].join('\n');

  const host = (name: string): TestHost => env.hosts.find((h) => h.name === name) as TestHost;

  /** Runs a script inside a host; its stdout. */
  const runIn = (h: TestHost, script: string, args: string[]): Promise<string> =>
    new Promise((resolve) => {
      const child = h.spawnIn([process.execPath, '--input-type=module', '-e', script, ...args]);
      let out = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      child.on('close', () => resolve(out));
    });
  const servedBy = (h: TestHost): Promise<string> => runIn(h, FETCH, [String(port)]);
  const servingEverywhere = async (): Promise<Record<string, string>> => Object.fromEntries(await Promise.all(env.hosts.map(async (h): Promise<[string, string]> => [h.name, await servedBy(h)])));

  const hostEvents = async (id: string): Promise<HostEvent[]> => {
    const r = await repo.cli(['events', '--subject', id, '--json']);
    const events = JSON.parse(r.stdout) as { kind: string; at: string; data: Omit<HostEvent, 'at'> }[];
    return events.filter((e) => e.kind === 'deployment.host').map((e) => ({ at: e.at, ...e.data }));
  };
  const trail = (events: HostEvent[], step?: string): string[] => events.filter((e) => step === undefined || e.step === step).map((e) => `${e.step} ${e.host} ${e.state}`);

  /** Builds the current commit (the build step pushes its image) and deploys it; the deployment's id and outcome. */
  const deploy = async (args: string[] = []): Promise<{ id: string; code: number; out: string }> => {
    const r = await repo.cli(['deploy', 'production', ...args]);
    const id = /\bd(\d+)\b/.exec(r.stdout + r.stderr)?.[0] ?? '';
    return { id, code: r.code, out: r.stdout + r.stderr };
  };
  const commitAndBuild = async (files: Record<string, string>, message: string): Promise<void> => {
    repo.write(files).commit(message);
    const r = await repo.cli(['run']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  };
  const containersOf = async (h: TestHost): Promise<{ release: string; created: string; running: boolean }[]> => {
    const list = await new Docker({ socketPath: h.docker }).listContainers({ all: true });
    return Promise.all(list.map(async (c) => {
      const info = await new Docker({ socketPath: h.docker }).getContainer(c.Id).inspect();
      return { release: c.Labels['dev.slipway.release'] ?? '', created: info.Created, running: info.State.Running };
    }));
  };

  const releasesOn = async (h: TestHost): Promise<string[]> => (await containersOf(h)).map((c) => c.release).sort();

  before(async () => {
    env = await startHosts([web1, web2, web3]);
    repo = new TempRepo('slw-hosts-');
    writeFileSync(join(repo.dir, 'load.mjs'), LOAD);
    await commitAndBuild({ 'server.mjs': APP, 'slipway.yaml': yaml() }, 'app on three hosts');
  });

  after(async () => {
    await repo?.dispose();
    if (env !== undefined) {
      for (const h of env.hosts) {
        h.up();
        const docker = new Docker({ socketPath: h.docker });
        for (const c of await docker.listContainers({ all: true }).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
      await env.stop();
      assert.deepEqual(env.leftovers(), [], 'every namespace, engine, proxy and directory of the hosts is gone');
    }
  });

  test('given three hosts, when v1 is deployed, then it starts host by host behind a first-host barrier and every host proxy serves it', async () => {
    const d = await deploy();
    assert.equal(d.code, 0, d.out);
    const events = await hostEvents(d.id);
    assert.deepEqual(trail(events), [
      'start web-1 starting', 'start web-1 healthy', 'start web-2 starting', 'start web-2 healthy', 'start web-3 starting', 'start web-3 healthy',
      'route web-1 routed', 'route web-2 routed', 'route web-3 routed',
    ]);
    // The barrier, as the engines saw it: no container on web-2 or web-3 before web-1 was healthy.
    const healthy1 = Date.parse(events.find((e) => e.host === web1 && e.state === 'healthy')?.at ?? '');
    for (const h of [web2, web3]) {
      const created = (await containersOf(host(h))).map((c) => Date.parse(c.created));
      assert.equal(created.length, 1, `${h} runs one container`);
      assert.ok((created[0] as number) >= healthy1, `${h}'s container was created after web-1 was healthy`);
    }
    assert.deepEqual(await servingEverywhere(), { [web1]: 'v1', [web2]: 'v1', [web3]: 'v1' });
  });

  test('given v1 on every host, when v2 is deployed under load through each host proxy, then no request fails', async () => {
    const loads = env.hosts.map((h) => {
      const child = h.spawnIn([process.execPath, join(repo.dir, 'load.mjs'), String(port), '800']);
      let out = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      return { h, child, done: new Promise<string>((resolve) => child.on('close', () => resolve(out))) };
    });
    const d = await deploy(['--force']);
    const results = await Promise.all(loads.map(async (l) => {
      l.child.kill('SIGTERM');
      return { host: l.h.name, ...(JSON.parse(await l.done) as { ok: number; failed: number; first: string; last: string; errors: string[] }) };
    }));
    assert.equal(d.code, 0, d.out);
    for (const r of results) {
      assert.equal(r.failed, 0, `${r.host}: ${r.errors.slice(0, 5).join('; ')}`);
      assert.ok(r.ok >= 40, `${r.host} answered ${r.ok} requests`);
      assert.equal(r.first, 'v1', `${r.host} served v1 first`);
      assert.equal(r.last, 'v2', `${r.host} served v2 last`);
    }
    process.stdout.write(`# load during the deploy: ${results.map((r) => `${r.host} ${r.ok} ok, ${r.failed} failed`).join('; ')}\n`);
    assert.deepEqual(await servingEverywhere(), { [web1]: 'v2', [web2]: 'v2', [web3]: 'v2' });
    // v1 stays warm beside v2 (weight 0), for a rollback that is a pointer swap.
    for (const h of env.hosts) assert.deepEqual(await releasesOn(h), ['1', '2'], `${h.name} runs v2 and the warm v1`);
  });

  test('given v2 serving, when v3 fails on the first host, then the other hosts are never touched and v2 keeps serving on all', async () => {
    await commitAndBuild({ 'slipway.yaml': yaml({ command: 'BROKEN=1 exec node dist/server.mjs' }) }, 'a release that cannot start');
    const d = await deploy();
    assert.notEqual(d.code, 0, d.out);
    assert.match(d.out, /on host web-1/);
    assert.deepEqual(trail(await hostEvents(d.id)), ['start web-1 starting', 'start web-1 failed']);
    for (const h of env.hosts) assert.deepEqual(await releasesOn(h), ['1', '2'], `${h.name} runs v2 and the warm v1 only`);
    assert.deepEqual(await servingEverywhere(), { [web1]: 'v2', [web2]: 'v2', [web3]: 'v2' });
  });

  test('given on_host_down: rollback, when the second host cannot be reached, then it is named, the first host is stopped again and the previous release serves everywhere', async () => {
    await commitAndBuild({ 'slipway.yaml': yaml({ onHostDown: 'rollback' }) }, 'working again, rollback on a host down');
    host(web2).down();
    let d;
    try {
      d = await deploy();
    } finally {
      host(web2).up();
    }
    assert.notEqual(d.code, 0, d.out);
    assert.match(d.out, /host web-2 cannot be reached \(on_host_down: rollback\)/);
    assert.deepEqual(trail(await hostEvents(d.id)), ['start web-1 starting', 'start web-1 healthy', 'start web-2 starting', 'start web-2 down', 'start web-1 stopped']);
    for (const h of env.hosts) assert.deepEqual(await releasesOn(h), ['1', '2'], `${h.name} runs v2 and the warm v1 only`);
    assert.deepEqual(await servingEverywhere(), { [web1]: 'v2', [web2]: 'v2', [web3]: 'v2' });
  });

  test('given on_host_down: skip, when the third host cannot be reached, then the others take the release and it keeps serving the previous one', async () => {
    await commitAndBuild({ 'slipway.yaml': yaml({ onHostDown: 'skip' }) }, 'skip a host that is down');
    host(web3).down();
    let d;
    try {
      d = await deploy();
    } finally {
      host(web3).up();
    }
    assert.equal(d.code, 0, d.out);
    const events = await hostEvents(d.id);
    assert.deepEqual(trail(events), [
      'start web-1 starting', 'start web-1 healthy', 'start web-2 starting', 'start web-2 healthy', 'start web-3 starting', 'start web-3 down', 'start web-3 skipped',
      'route web-1 routed', 'route web-2 routed', 'route web-3 skipped',
    ]);
    const release = events[0]?.release ?? '';
    assert.deepEqual(await servingEverywhere(), { [web1]: release, [web2]: release, [web3]: 'v2' });
  });

  test('given on_host_down: wait, when a host is down at the start and comes back in time, then the rollout waits for it and goes on', async () => {
    await commitAndBuild({ 'slipway.yaml': yaml({ onHostDown: 'wait' }) }, 'wait for a host that is down');
    host(web2).down();
    const running = deploy();
    try {
      // Back once the control plane said it waits for it.
      await waitFor(async () => {
        const r = await repo.cli(['events', '--json', '-n', '50']);
        return (JSON.parse(r.stdout) as { kind: string; data: { host?: string; state?: string } }[]).some((e) => e.kind === 'deployment.host' && e.data.host === web2 && e.data.state === 'waiting');
      }, { what: 'the deployment to wait for web-2', timeout: 30_000 });
    } finally {
      host(web2).up();
    }
    const d = await running;
    assert.equal(d.code, 0, d.out);
    const events = await hostEvents(d.id);
    assert.deepEqual(trail(events, 'start'), ['start web-1 starting', 'start web-1 healthy', 'start web-2 starting', 'start web-2 waiting', 'start web-2 healthy', 'start web-3 starting', 'start web-3 healthy']);
    const release = events[0]?.release ?? '';
    assert.deepEqual(await servingEverywhere(), { [web1]: release, [web2]: release, [web3]: release });
  });

  test('given on_host_down: rollback and a canary, when the second host goes down between two route steps, then the deployment fails naming it and the hosts that answer serve the previous release alone', async () => {
    await commitAndBuild({ 'slipway.yaml': yaml({ onHostDown: 'rollback', strategy: '{ canary: [50%, 100%], pause: 8s }' }) }, 'a canary over three hosts');
    const before = (JSON.parse((await repo.cli(['status', '--json'])).stdout) as { environments: { env: string; current: { release: string } | null }[] }).environments.find((e) => e.env === 'production')?.current?.release;
    assert.ok(before !== undefined);
    const t0 = Date.now();
    const running = deploy();
    try {
      // Down once every host took the 50% step of this deployment, while the canary pauses.
      await waitFor(async () => {
        const r = await repo.cli(['events', '--json', '-n', '60']);
        return (JSON.parse(r.stdout) as { kind: string; at: string; data: { host?: string; state?: string; step?: string } }[]).some((e) => e.kind === 'deployment.host' && Date.parse(e.at) >= t0 && e.data.step === 'route' && e.data.host === web3 && e.data.state === 'routed');
      }, { what: 'the 50% step on every host', timeout: 60_000 });
      host(web2).down();
      const d = await running;
      assert.notEqual(d.code, 0, d.out);
      assert.match(d.out, /host web-2 cannot be reached \(on_host_down: rollback\)/);
      const events = await hostEvents(d.id);
      // The restore puts web-1 and web-3 back (then the rollback's route again); web-2 is named each time.
      assert.deepEqual(trail(events, 'restore').slice(0, 4), ['restore web-1 routed', 'restore web-2 down', 'restore web-2 skipped', 'restore web-3 routed']);
      assert.deepEqual(trail(events, 'route'), ['route web-1 routed', 'route web-2 routed', 'route web-3 routed'], 'the 50% step on all three');
      // web-1 and web-3 answer with the previous release only; web-2, unreachable, keeps its last routes.
      for (const h of [web1, web3]) {
        const answers = new Set<string>();
        for (let i = 0; i < 10; i++) answers.add(await servedBy(host(h)));
        assert.deepEqual([...answers], [before], `${h} serves ${before} alone`);
      }
    } finally {
      host(web2).up();
    }
  });
});
