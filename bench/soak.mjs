// Soak (issue 13.5): many deploy/rollback cycles of one environment under constant load, with
// retention on. Reports failed requests (goal 0) and, sampled over the cycles, the resident memory
// and open file descriptors of the proxy and of the control plane, the number of Slipway's
// processes (control plane, proxy, shims, apps) and the size of the home and its sandbox area
// (goal: flat — first, last, max and a least-squares slope per 100 cycles).
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'undici';
import { connect } from '../dist/src/cli/client.js';
import { sandboxDirOf } from '../dist/src/home/paths.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/slipway.js');

const APP = `
const http = require('node:http');
const s = http.createServer((req, res) => { console.log(req.method + ' ' + req.url); res.end(process.env.SLIPWAY_RELEASE); });
s.keepAliveTimeout = 65000;
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

const git = (cwd, ...args) => spawnSync('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
const cli = (dir, args, env = {}) => new Promise((resolve) => {
  const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (err += d));
  c.on('close', (code) => resolve({ code, out, err }));
});

/** Closed-loop load until `until` resolves, keep-alive or a new connection per request; counts failures. */
const load = (url, until, { concurrency, keepAlive }) => {
  const r = { total: 0, failed: 0, firstError: undefined };
  let stop = false;
  void until.then(() => (stop = true));
  const agent = new http.Agent({ keepAlive, maxSockets: concurrency });
  const one = () => new Promise((resolve) => {
    const req = http.request(url, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        r.total++;
        if (res.statusCode !== 200) { r.failed++; r.firstError ??= `HTTP ${res.statusCode}`; }
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (e) => { r.total++; r.failed++; r.firstError ??= e.message; resolve(); });
    req.end();
  });
  return Promise.all(Array.from({ length: concurrency }, async () => { while (!stop) await one(); })).then(() => { agent.destroy(); return r; });
};

const waitDone = async (client, id) => {
  for (let i = 0; ; i++) {
    const { deployment } = await client.request('GET', `/v1/deployments/${id}`);
    if (deployment.finishedAt) return deployment;
    if (i > 3000) throw new Error(`deployment ${id} did not finish within a minute`);
    await sleep(20);
  }
};

const readJson = (file) => { try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return undefined; } };
/** Resident memory in KiB and open descriptors of `pid` (from /proc). */
const procStats = (pid) => {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { rssKiB: rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rssKiB: NaN, fds: NaN };
  }
};
/** Processes whose working directory is inside one of `dirs`: the control plane (the repo), shims (the home) and apps (the sandbox area). */
const processesUnder = (dirs) => {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${p}/cwd`);
      if (dirs.some((d) => cwd === d || cwd.startsWith(`${d}/`))) n++;
    } catch { /* gone, or not ours */ }
  }
  return n;
};
/**
 * The memory of `pid` after a full garbage collection, through the V8 inspector: the process was
 * started with `--inspect-port=127.0.0.1:0` (in NODE_OPTIONS, set by this bench only), SIGUSR1 opens
 * its inspector on a free loopback port, which it prints to its log, and the bench asks it over the
 * DevTools protocol for a collection (`HeapProfiler.collectGarbage`) and then `process.memoryUsage()`.
 * RSS alone mixes garbage not yet collected and pages the allocator keeps; the heap used after a
 * collection is what is retained. With `snapshot`, it also takes a heap snapshot (streamed over the
 * same connection) and counts its objects by constructor — what a leak would show; that costs the
 * process memory of its own, so the full soak takes none unless SOAK_HEAP_SNAPSHOTS=1.
 * No production code is involved: this is the inspector every Node process has.
 */
const inspectorUrls = new Map();
const inspect = async (pid, logFile, { snapshot = false } = {}) => {
  if (!Number.isInteger(pid)) return undefined;
  let url = inspectorUrls.get(pid);
  if (url === undefined) {
    const from = lstatSync(logFile).size;
    try { process.kill(pid, 'SIGUSR1'); } catch { return undefined; }
    for (let i = 0; i < 100 && url === undefined; i++) {
      await sleep(100);
      url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(readFileSync(logFile, 'utf8').slice(from))?.[1];
    }
    if (url === undefined) return undefined;
    inspectorUrls.set(pid, url);
  }
  const ws = new WebSocket(url);
  const pending = new Map();
  let chunks = [];
  let next = 0;
  ws.onmessage = (m) => {
    const d = JSON.parse(m.data);
    if (d.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(d.params.chunk);
    else if (d.id !== undefined) pending.get(d.id)?.(d);
  };
  const call = (method, params = {}) => new Promise((resolve) => {
    const id = ++next;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
  try {
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    await call('HeapProfiler.collectGarbage');
    const r = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    const usage = JSON.parse(r.result.result.value);
    if (!snapshot) return { usage };
    chunks = [];
    await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    const snap = JSON.parse(chunks.join(''));
    chunks = [];
    const fields = snap.snapshot.meta.node_fields;
    const types = snap.snapshot.meta.node_types[0];
    const [typeAt, nameAt, width] = [fields.indexOf('type'), fields.indexOf('name'), fields.length];
    const counts = new Map();
    for (let j = 0; j < snap.nodes.length; j += width) {
      const type = types[snap.nodes[j + typeAt]];
      if (type !== 'object' && type !== 'closure') { counts.set(`(${type})`, (counts.get(`(${type})`) ?? 0) + 1); continue; }
      const name = `${type === 'closure' ? 'closure ' : ''}${snap.strings[snap.nodes[j + nameAt]]}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return { usage, counts };
  } catch {
    return undefined;
  } finally {
    ws.close();
  }
};
/** The constructors whose count grew most between two heap samples (what a leak would show). */
const grownMost = (a, b, top = 15) => [...b.counts]
  .map(([name, n]) => [name, (a.counts.get(name) ?? 0), n])
  .filter(([, x, y]) => y > x)
  .sort((p, q) => (q[2] - q[1]) - (p[2] - p[1]))
  .slice(0, top);

const sizeOf = (path) => {
  let st;
  try { st = lstatSync(path); } catch { return 0; }
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const n of readdirSync(path)) total += sizeOf(join(path, n));
  return total;
};

/** First, last, max and the least-squares slope per 100 cycles of samples `[cycle, value]`. */
export const trend = (samples) => {
  const xs = samples.map((s) => s[0]);
  const ys = samples.map((s) => s[1]);
  const n = ys.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return { first: ys[0], last: ys[n - 1], max: Math.max(...ys), slopePer100: den === 0 ? 0 : Math.round((num / den) * 100 * 100) / 100 };
};

export async function benchSoak({ cycles = 1000, log = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-soak-'));
  const home = join(dir, '.slipway');
  const area = sandboxDirOf(home);
  // The control plane and the proxy inherit it from the CLI that starts them (see inspect).
  const env = { NODE_OPTIONS: '--inspect-port=127.0.0.1:0' };
  const snapshots = process.env.SOAK_HEAP_SNAPSHOTS === '1';
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'server.cjs'), APP);
  writeFileSync(join(dir, 'slipway.yaml'), [
    'app: soak', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]',
    'run:', '  command: node dist/server.cjs', '  health: { path: /healthz, start_timeout: 10s }', '  stop_grace: 2s',
    'environments:', '  staging:', '    strategy: blue-green',
    '    verify: { window: 100ms, interval: 100ms, checks: [error_rate < 1%] }',
    // Retention on, and often: what a soak should show is that it holds the home's size.
    'retention:', '  releases: 3', '  gc_every: 20s', '  min_age: 10s', '  log_max_bytes: 256KiB', '  logs_days: 1', '',
  ].join('\n'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'soak');
  try {
    if ((await cli(dir, ['run'], env)).code !== 0) throw new Error('the pipeline failed');
    const client = await connect(dir, home);
    await waitDone(client, (await client.request('POST', '/v1/deployments', { env: 'staging' })).deployment.id);
    const url = (await client.request('GET', '/v1/environments')).environments.find((e) => e.env === 'staging').url;

    const series = {
      proxyRssKiB: [], proxyHeapKiB: [], proxyExternalKiB: [], proxyFds: [],
      serverRssKiB: [], serverHeapKiB: [], serverExternalKiB: [], serverFds: [], processes: [], homeBytes: [],
    };
    const heaps = { server: [], proxy: [] };
    const sample = async (cycle, withSize) => {
      const proxyPid = readJson(join(home, 'proxy', 'proxy.json'))?.pid;
      const serverPid = readJson(join(home, 'server.json'))?.pid;
      const proxy = procStats(proxyPid);
      const server = procStats(serverPid);
      series.proxyRssKiB.push([cycle, proxy.rssKiB]);
      series.proxyFds.push([cycle, proxy.fds]);
      series.serverRssKiB.push([cycle, server.rssKiB]);
      series.serverFds.push([cycle, server.fds]);
      series.processes.push([cycle, processesUnder([dir, area])]);
      if (withSize) {
        series.homeBytes.push([cycle, sizeOf(home) + sizeOf(area)]);
        for (const [name, pid, log] of [['server', serverPid, join(home, 'server.log')], ['proxy', proxyPid, join(home, 'proxy', 'proxy.log')]]) {
          // The first snapshot after the warm-up (the second heap sample), the last at the end.
          const snapshot = snapshots && (series[`${name}HeapKiB`].length === 1 || cycle === cycles);
          const h = await inspect(pid, log, { snapshot });
          if (h === undefined) { series[`${name}HeapKiB`].push([cycle, NaN]); continue; }
          if (h.counts) heaps[name].push(h);
          series[`${name}HeapKiB`].push([cycle, Math.round(h.usage.heapUsed / 1024)]);
          series[`${name}ExternalKiB`].push([cycle, Math.round(h.usage.external / 1024)]);
        }
      }
    };

    let stop;
    const until = new Promise((r) => (stop = r));
    const loads = Promise.all([load(url, until, { concurrency: 3, keepAlive: true }), load(url, until, { concurrency: 2, keepAlive: false })]);
    const failedOps = [];
    const every = Math.max(1, Math.floor(cycles / 100));
    const t0 = performance.now();
    for (let i = 1; i <= cycles; i++) {
      // The same build again would be a no-op: --force makes each one a real deploy.
      // A failed deploy or rollback is counted with its reason and the soak goes on: one failure in
      // a thousand cycles must not throw away the figures of the others.
      const d = await waitDone(client, (await client.request('POST', '/v1/deployments', { env: 'staging', force: true })).deployment.id);
      if (d.phase !== 'succeeded') { failedOps.push({ cycle: i, op: 'deploy', id: d.id, phase: d.phase, reason: d.reason }); log(`  cycle ${i}: deploy ${d.id} ${d.phase}: ${d.reason}`); }
      const r = await waitDone(client, (await client.request('POST', '/v1/rollbacks', { env: 'staging' })).deployment.id);
      if (r.phase !== 'succeeded') { failedOps.push({ cycle: i, op: 'rollback', id: r.id, phase: r.phase, reason: r.reason }); log(`  cycle ${i}: rollback ${r.id} ${r.phase}: ${r.reason}`); }
      // The first sample after one cycle: from then on two releases are warm (current and previous).
      if (i === 1 || i % every === 0 || i === cycles) await sample(i, i === 1 || i % (every * 5) === 0 || i === cycles);
      if (i % Math.max(1, Math.floor(cycles / 10)) === 0) log(`  … ${i} of ${cycles} deploy/rollback cycles`);
    }
    const seconds = Math.round((performance.now() - t0) / 1000);
    stop();
    const [keepAlive, newConn] = await loads;
    const gc = (await client.request('POST', '/v1/gc', { dry_run: false })).gc;
    const afterGc = sizeOf(home) + sizeOf(area);
    const parts = {
      database: readdirSync(home).filter((n) => n.startsWith('slipway.db')).reduce((a, n) => a + sizeOf(join(home, n)), 0),
      artifacts: sizeOf(join(home, 'artifacts')), logs: sizeOf(join(home, 'logs')) + sizeOf(join(home, 'server.log')) + sizeOf(join(home, 'proxy', 'proxy.log')),
      releases: sizeOf(join(area, 'releases')), instanceTmp: sizeOf(join(area, 'tmp')),
    };

    const result = {
      cycles, seconds,
      requests: keepAlive.total + newConn.total,
      failedRequests: keepAlive.failed + newConn.failed,
      firstError: keepAlive.firstError ?? newConn.firstError,
      failedOperations: failedOps,
      trends: Object.fromEntries(Object.entries(series).map(([k, v]) => [k, trend(v)])),
      // Between the second and the last heap sample: the objects whose number grew most.
      heapGrowth: Object.fromEntries(Object.entries(heaps).filter(([, h]) => h.length > 1).map(([k, h]) => [k, grownMost(h[0], h[h.length - 1])])),
      samples: series,
      finalGc: { removed: gc.removed.length, bytes: gc.bytes, homeBytesAfter: afterGc, parts },
    };
    result.goals = { 'failed requests = 0': result.failedRequests === 0 };
    const t = result.trends;
    const row = (label, tr, unit = '') => log(`  ${label.padEnd(30)} first ${tr.first}${unit}  last ${tr.last}${unit}  max ${tr.max}${unit}  slope ${tr.slopePer100}${unit} per 100 cycles`);
    log(`\nsoak: ${cycles} deploy/rollback cycles under load in ${seconds}s (keep-alive and new-connection GETs), retention on (releases: 3, gc every 20s, min_age 10s)`);
    log(`  requests ${result.requests}, failed ${result.failedRequests}   goal 0   ${result.goals['failed requests = 0'] ? 'PASS' : `MISS (${result.firstError})`}`);
    log(`  deploys and rollbacks that failed: ${failedOps.length}${failedOps.map((f) => `\n    cycle ${f.cycle} ${f.op} ${f.id}: ${f.reason}`).join('')}`);
    row('proxy RSS', t.proxyRssKiB, ' KiB');
    row('proxy heap used after GC', t.proxyHeapKiB, ' KiB');
    row('proxy external after GC', t.proxyExternalKiB, ' KiB');
    row('proxy open fds', t.proxyFds);
    row('control plane RSS', t.serverRssKiB, ' KiB');
    row('control plane heap used after GC', t.serverHeapKiB, ' KiB');
    row('control plane external after GC', t.serverExternalKiB, ' KiB');
    row('control plane open fds', t.serverFds);
    row("Slipway's processes", t.processes);
    row('home + sandbox area', t.homeBytes, ' B');
    for (const [k, g] of Object.entries(result.heapGrowth)) log(`  ${k}: objects that grew most between the second and last heap sample: ${g.map(([n, a, b]) => `${n} ${a}→${b}`).join(', ') || 'none'}`);
    log(`  a final gc removed ${gc.removed.length} item(s), ${gc.bytes} B; home + sandbox area after it: ${afterGc} B (${Object.entries(parts).map(([k, v]) => `${k} ${v} B`).join(', ')})`);
    return result;
  } finally {
    await cli(dir, ['down']);
    await cli(dir, ['server', 'stop']);
    rmSync(dir, { recursive: true, force: true });
    rmSync(area, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? (process.argv.includes('--quick') ? 50 : 1000));
  const result = await benchSoak({ cycles: n });
  // Run by itself (`node bench/soak.mjs 200`): the samples too, for a closer look.
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'soak.json'), JSON.stringify(result, null, 2));
}
