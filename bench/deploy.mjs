// Deployment figures (SPEC §11): failed requests under load across many deploys and warm rollbacks,
// cutover and warm-rollback times, and `slipway up` from nothing — each beside a baseline measured
// in the same run (nginx reloads under the same load; a raw proxy route switch; a bare app start).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from '../dist/src/cli/client.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/slipway.js');
const autocannon = createRequire(import.meta.url)('autocannon');

const APP = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({ release: process.env.SLIPWAY_RELEASE, bytes: Buffer.concat(chunks).length });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
s.keepAliveTimeout = 65000;
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const git = (cwd, ...args) => spawnSync('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
const cli = (dir, args) => new Promise((resolve) => {
  const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (err += d));
  c.on('close', (code) => resolve({ code, out, err }));
});

/** Closed-loop load without keep-alive (a new connection per request), counting failures. */
const plainLoad = (url, until, concurrency = 4, method = 'GET', body) => {
  const r = { total: 0, failed: 0, firstError: undefined };
  let stop = false;
  void until.then(() => (stop = true));
  const agent = new http.Agent({ keepAlive: false });
  const one = () => new Promise((resolve) => {
    const req = http.request(url, { method, agent, headers: body ? { 'content-length': body.length } : {}, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        r.total++;
        if (res.statusCode !== 200) { r.failed++; r.firstError ??= `HTTP ${res.statusCode}`; }
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => { r.total++; r.failed++; r.firstError ??= e.message; resolve(); });
    req.end(body);
  });
  return Promise.all(Array.from({ length: concurrency }, async () => { while (!stop) await one(); })).then(() => r);
};

/** Keep-alive load (autocannon) until `until` resolves; returns failures. */
const cannon = (url, until, opts = {}) => new Promise((resolve) => {
  const inst = autocannon({ url, connections: opts.connections ?? 8, duration: 3600, method: opts.method ?? 'GET', body: opts.body }, (err, res) => {
    resolve(err ? { total: 0, failed: 1, firstError: err.message } : { total: res.requests.total, failed: res.errors + res.timeouts + res.non2xx, resets: res.resets });
  });
  void until.then(() => inst.stop());
});

/** Runs all four kinds of load against `url` until `until` resolves. */
const allLoads = (url, until) => Promise.all([
  cannon(url, until),
  cannon(url, until, { method: 'POST', body: 'x'.repeat(2048) }),
  plainLoad(url, until, 3),
  plainLoad(url, until, 3, 'POST', Buffer.alloc(2048, 'y')),
]).then(([ka, kaPost, plain, plainPost]) => ({ keepAliveGet: ka, keepAlivePost: kaPost, newConnGet: plain, newConnPost: plainPost }));

const sumFailed = (loads) => Object.values(loads).reduce((a, l) => a + l.failed, 0);
const sumTotal = (loads) => Object.values(loads).reduce((a, l) => a + l.total, 0);

const waitDone = async (client, id) => {
  for (;;) {
    const { deployment } = await client.request('GET', `/v1/deployments/${id}`);
    if (deployment.finishedAt) return deployment;
    await sleep(20);
  }
};
const eventsOf = async (client, id) => (await client.request('GET', `/v1/deployments/${id}`)).events;
const at = (events, kind, pred = () => true) => {
  const e = events.find((x) => x.kind === kind && pred(x));
  return e ? Date.parse(e.at) : NaN;
};

/** nginx reloads under the same load, as the baseline for dropped requests (when nginx exists). */
const nginxReloads = async (appPort, reloads) => {
  if (!existsSync('/usr/sbin/nginx')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-nginx-'));
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; upstream app { server 127.0.0.1:${appPort}; keepalive 32; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`);
  const ng = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  await sleep(500);
  let stop;
  const until = new Promise((r) => (stop = r));
  const loads = allLoads(`http://127.0.0.1:${port}/`, until);
  for (let i = 0; i < reloads; i++) {
    await sleep(200);
    spawnSync('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-s', 'reload']);
  }
  await sleep(300);
  stop();
  const r = await loads;
  ng.kill('SIGQUIT');
  await sleep(200);
  rmSync(dir, { recursive: true, force: true });
  return { reloads, failed: sumFailed(r), total: sumTotal(r) };
};

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

export async function benchDeploy({ deploys = 100, log = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-deploy-'));
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'server.cjs'), APP);
  writeFileSync(join(dir, 'slipway.yaml'), [
    'app: bench', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]',
    'run:', '  command: node dist/server.cjs', '  health: { path: /healthz, start_timeout: 10s }', '  stop_grace: 2s',
    'environments:', '  staging:', '    strategy: blue-green',
    // Errors only: the bench's own load on a shared machine pushes latency past any fixed bound,
    // and what is measured here is the switch, not the app.
    '    verify: { window: 100ms, interval: 100ms, checks: [error_rate < 1%] }', '',
  ].join('\n'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'bench');
  try {
    if ((await cli(dir, ['run'])).code !== 0) throw new Error('the pipeline failed');
    const client = await connect(dir, join(dir, '.slipway'));
    const first = (await client.request('POST', '/v1/deployments', { env: 'staging' })).deployment;
    await waitDone(client, first.id);
    const env = (await client.request('GET', '/v1/environments')).environments.find((e) => e.env === 'staging');
    const url = env.url;

    // Deploys and warm rollbacks, alternating, under four kinds of load at once.
    let stop;
    const until = new Promise((r) => (stop = r));
    const loads = allLoads(url, until);
    const cutover = [];
    const rollback = [];
    const t0 = performance.now();
    for (let i = 0; i < deploys; i++) {
      // The same build and config again would be a no-op: --force makes each one a real deploy.
      const d = (await client.request('POST', '/v1/deployments', { env: 'staging', force: true })).deployment;
      const dd = await waitDone(client, d.id);
      if (dd.phase !== 'succeeded') throw new Error(`deploy ${d.id} ${dd.phase}: ${dd.reason}`);
      const ev = await eventsOf(client, d.id);
      cutover.push(at(ev, 'deployment.routed') - at(ev, 'deployment.healthy'));
      const r = (await client.request('POST', '/v1/rollbacks', { env: 'staging' })).deployment;
      const rr = await waitDone(client, r.id);
      if (rr.phase !== 'succeeded') throw new Error(`rollback ${r.id} ${rr.phase}: ${rr.reason}`);
      const rev = await eventsOf(client, r.id);
      if (rev.some((e) => e.kind === 'deployment.starting')) throw new Error(`rollback ${r.id} was not warm`);
      rollback.push(at(rev, 'deployment.routed') - at(rev, 'deployment.created'));
      if ((i + 1) % 20 === 0) log(`  … ${i + 1} deploys and ${i + 1} rollbacks`);
    }
    const seconds = (performance.now() - t0) / 1000;
    await sleep(200);
    stop();
    const loadResults = await loads;

    // Baseline for the switch itself: the raw proxy route switch, same machine, same run.
    const { ensureProxy } = await import('../dist/src/adapters/proxy/client.js');
    const proxy = await ensureProxy(join(dir, '.slipway'));
    const routes = (await proxy.getRoutes()).find((r) => r.env === 'staging');
    const raw = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await proxy.setRoutes('staging', { port: routes.port, backends: routes.backends.map((b) => ({ ...b, weight: b.weight === 1 ? 0 : 1 })).reverse() });
      raw.push(performance.now() - t);
      routes.backends = routes.backends.map((b) => ({ ...b, weight: b.weight === 1 ? 0 : 1 }));
    }

    // slipway up from nothing (proxy and instances gone, control plane stopped), three times.
    const upTimes = [];
    const upServer = [];
    for (let i = 0; i < 3; i++) {
      await cli(dir, ['down']);
      await cli(dir, ['server', 'stop']);
      const t = performance.now();
      const u = await cli(dir, ['up', '--json']);
      upTimes.push(performance.now() - t);
      upServer.push(JSON.parse(u.out).ms);
    }
    // Baseline: a bare start of the same app to its first answer.
    const bare = [];
    for (let i = 0; i < 5; i++) {
      const port = await freePort();
      const t = performance.now();
      const p = spawn(process.execPath, [join(dir, 'server.cjs')], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
      for (;;) {
        try { await fetch(`http://127.0.0.1:${port}/`); break; } catch { await sleep(2); }
      }
      bare.push(performance.now() - t);
      p.kill();
    }
    const fresh = await connect(dir, join(dir, '.slipway'));
    const appPort = (await fresh.request('GET', '/v1/environments')).environments[0].instances[0].port;
    const nginx = await nginxReloads(appPort, 10);

    const failed = sumFailed(loadResults);
    const result = {
      deploys, rollbacks: deploys, seconds: Math.round(seconds),
      requests: sumTotal(loadResults), failedRequests: failed, loads: loadResults,
      nginxBaseline: nginx,
      cutoverMs: { p50: pct(cutover, 50), p99: pct(cutover, 99) },
      warmRollbackMs: { p50: pct(rollback, 50), p99: pct(rollback, 99) },
      rawProxySwitchMs: { p50: Math.round(pct(raw, 50) * 100) / 100, p99: Math.round(pct(raw, 99) * 100) / 100 },
      upFromNothingMs: { median: Math.round(pct(upTimes, 50)), serverSide: Math.round(pct(upServer, 50)) },
      bareAppStartMs: { median: Math.round(pct(bare, 50)) },
    };
    result.ratios = {
      cutoverP99VsRawSwitchP99: result.cutoverMs.p99 / Math.max(0.01, result.rawProxySwitchMs.p99),
      warmRollbackP99VsRawSwitchP99: result.warmRollbackMs.p99 / Math.max(0.01, result.rawProxySwitchMs.p99),
      upVsBareAppStart: result.upFromNothingMs.median / Math.max(1, result.bareAppStartMs.median),
    };
    result.goals = {
      'failed requests = 0': failed === 0,
      'cutover p99 ≤ 10× the raw proxy switch p99': result.ratios.cutoverP99VsRawSwitchP99 <= 10,
      'warm rollback p99 ≤ 10× the raw proxy switch p99': result.ratios.warmRollbackP99VsRawSwitchP99 <= 10,
      'slipway up ≤ 5× a bare app start': result.ratios.upVsBareAppStart <= 5,
    };
    const verdict = (goal) => (result.goals[goal] ? 'PASS' : 'MISS');
    const x = (r) => `${r.toFixed(1)}×`;
    log(`\ndeployments under load (${deploys} deploys + ${deploys} warm rollbacks in ${result.seconds}s; keep-alive and new-connection GETs and POSTs)`);
    log(`  requests ${result.requests}, failed ${failed}   goal 0   ${verdict('failed requests = 0')}${nginx ? `   baseline: nginx, ${nginx.reloads} reloads under the same load: ${nginx.failed} failed of ${nginx.total}` : ''}`);
    log(`  raw proxy switch (baseline)                              p50 ${result.rawProxySwitchMs.p50} ms  p99 ${result.rawProxySwitchMs.p99} ms`);
    log(`  cutover (healthy → all new requests on the new release)  p50 ${result.cutoverMs.p50} ms  p99 ${result.cutoverMs.p99} ms = ${x(result.ratios.cutoverP99VsRawSwitchP99)} raw   goal ≤ 10×   ${verdict('cutover p99 ≤ 10× the raw proxy switch p99')}`);
    log(`  warm rollback (request → all requests on previous)       p50 ${result.warmRollbackMs.p50} ms  p99 ${result.warmRollbackMs.p99} ms = ${x(result.ratios.warmRollbackP99VsRawSwitchP99)} raw   goal ≤ 10×   ${verdict('warm rollback p99 ≤ 10× the raw proxy switch p99')}`);
    log(`  slipway up from nothing                                  ${result.upFromNothingMs.median} ms (CLI, control plane start included; ${result.upFromNothingMs.serverSide} ms in the engine)   bare app start ${result.bareAppStartMs.median} ms = ${x(result.ratios.upVsBareAppStart)}   goal ≤ 5×   ${verdict('slipway up ≤ 5× a bare app start')}`);
    return result;
  } finally {
    await cli(dir, ['down']);
    await cli(dir, ['server', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? (quick ? 10 : 100));
  await benchDeploy({ deploys: n });
}
