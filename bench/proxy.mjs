// Proxy figures (SPEC §11): throughput and added latency of `slipway proxy` against the app reached
// directly and against nginx (when /usr/sbin/nginx exists), measured in the same run.
// Layout (REFERENCE.md, benchmark method): the load generator and the app share core 0, the proxy
// under test has core 1 (taskset, when present). Throughput: closed-loop autocannon, warm-up, then
// rounds with the targets in rotating order, medians reported. Latency: open-loop at a fixed rate
// from a client with µs timing (autocannon records whole milliseconds). Also the proxy's CPU time
// per request, read from /proc: a figure that does not depend on which process is the bottleneck.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { ensureProxy } from '../dist/src/adapters/proxy/client.js';

const here = dirname(fileURLToPath(import.meta.url));
const autocannon = createRequire(import.meta.url)('autocannon');

const APP = `
const http = require('node:http');
const body = Buffer.from(JSON.stringify({ ok: true, message: 'hello from the app' }));
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

const hasTaskset = () => spawnSync('taskset', ['-V']).status === 0;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/** CPU seconds (user + system) of `pid` and its direct children, from /proc. */
function cpuSeconds(pid) {
  const one = (p) => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
    } catch {
      return 0;
    }
  };
  let kids = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    // no /proc: CPU figures come out as 0
  }
  return one(pid) + kids.reduce((t, k) => t + one(k), 0);
}

function waitForPort(port, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} did not open`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function cannon(url, { connections, seconds }) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds }, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

/** Open-loop load at `rate` requests/s for `seconds`; latency of each request in µs. */
async function openLoop(url, { rate, seconds, connections = 16 }) {
  const pool = new Pool(url, { connections, pipelining: 1 });
  const lat = [];
  let errors = 0;
  let non2xx = 0;
  const inflight = new Set();
  const fire = () => {
    const t0 = process.hrtime.bigint();
    const p = pool
      .request({ path: '/', method: 'GET' })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode !== 200) non2xx++;
        lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      })
      .catch(() => errors++)
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const start = performance.now();
  const total = Math.round(rate * seconds);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (sent < due) {
      fire();
      sent++;
    }
    await sleep(1);
  }
  await Promise.all(inflight);
  await pool.close();
  lat.sort((a, b) => a - b);
  return { requests: lat.length, errors, non2xx, p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99) };
}

function nginxConf(dir, listen, upstreamPort) {
  return `worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
}

/**
 * Runs the proxy bench; returns the figures and writes them to `out`.
 * Options: seconds (per throughput run, 5), warmupSeconds (1), rounds (3), connections (50),
 * rate (open-loop rps, 1000), latencySeconds (5), nginx (path; skipped when absent), log, out.
 */
export async function benchProxy(opts = {}) {
  const {
    seconds = 5,
    warmupSeconds = 1,
    rounds = 3,
    connections = 50,
    rate = 1000,
    latencySeconds = 5,
    nginx = '/usr/sbin/nginx',
    log = console.log,
    out = join(here, 'results', 'proxy.json'),
  } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-proxy-'));
  const pin = hasTaskset();
  const cleanups = [];
  const originalMask = pin ? spawnSync('taskset', ['-p', String(process.pid)]).stdout.toString().trim().split(/\s+/).pop() : undefined;
  try {
    if (pin) spawnSync('taskset', ['-a', '-pc', '0', String(process.pid)]);

    // The app, on core 0 with the load generator.
    const app = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '0', process.execPath, '-e', APP] : ['-e', APP], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => app.kill('SIGKILL'));
    const appPort = await new Promise((resolve, reject) => {
      app.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      app.once('exit', () => reject(new Error('the bench app exited')));
    });

    // Slipway's proxy, on core 1.
    const home = join(dir, 'home');
    const proxy = await ensureProxy(home);
    cleanups.push(() => proxy.stop().then(() => proxy.close()));
    const proxyPid = JSON.parse(readFileSync(join(home, 'proxy', 'proxy.json'), 'utf8')).pid;
    if (pin) spawnSync('taskset', ['-a', '-pc', '1', String(proxyPid)]);
    const slipwayPort = await freePort();
    const set = await proxy.setRoutes('bench', {
      port: slipwayPort,
      backends: [{ release: 'v1', weight: 1, instances: [{ id: 'app-1', url: `http://127.0.0.1:${appPort}` }] }],
    });
    if (!set.ok) throw new Error(`proxy refused the bench routes: ${set.message}`);

    const targets = [
      { name: 'direct', url: `http://127.0.0.1:${appPort}/`, pid: app.pid },
      { name: 'slipway', url: `http://127.0.0.1:${slipwayPort}/`, pid: proxyPid },
    ];
    if (existsSync(nginx)) {
      const ngDir = join(dir, 'nginx');
      mkdirSync(ngDir);
      const ngPort = await freePort();
      writeFileSync(join(ngDir, 'nginx.conf'), nginxConf(ngDir, ngPort, appPort));
      const args = ['-p', ngDir, '-c', join(ngDir, 'nginx.conf'), '-g', 'daemon off;'];
      const ng = spawn(pin ? 'taskset' : nginx, pin ? ['-c', '1', nginx, ...args] : args, { stdio: ['ignore', 'ignore', 'inherit'] });
      cleanups.push(() => ng.kill('SIGTERM'));
      await waitForPort(ngPort);
      targets.push({ name: 'nginx', url: `http://127.0.0.1:${ngPort}/`, pid: ng.pid });
    } else {
      log(`(nginx not found at ${nginx}: comparing with the app only)`);
    }

    for (const t of targets) await cannon(t.url, { connections, seconds: warmupSeconds });

    const tp = Object.fromEntries(targets.map((t) => [t.name, { rps: [], p50: [], p99: [], errors: 0, cpuUsPerReq: [] }]));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(k + r) % targets.length];
        const cpu0 = cpuSeconds(t.pid);
        const res = await cannon(t.url, { connections, seconds });
        const cpu = cpuSeconds(t.pid) - cpu0;
        const m = tp[t.name];
        m.rps.push(res.requests.total / seconds);
        m.p50.push(res.latency.p50);
        m.p99.push(res.latency.p99);
        m.errors += res.errors + res.timeouts + res.non2xx;
        if (res.requests.total > 0) m.cpuUsPerReq.push((cpu * 1e6) / res.requests.total);
      }
    }

    const lat = Object.fromEntries(targets.map((t) => [t.name, { p50: [], p90: [], p99: [], errors: 0 }]));
    for (const t of targets) await openLoop(t.url, { rate, seconds: 1 });
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(k + r) % targets.length];
        const res = await openLoop(t.url, { rate, seconds: latencySeconds });
        lat[t.name].p50.push(res.p50);
        lat[t.name].p90.push(res.p90);
        lat[t.name].p99.push(res.p99);
        lat[t.name].errors += res.errors + res.non2xx;
      }
    }

    const figures = {};
    for (const t of targets) {
      const m = tp[t.name];
      const l = lat[t.name];
      figures[t.name] = {
        rps: round(median(m.rps)),
        rpsRuns: m.rps.map((x) => round(x)),
        p50Ms: median(m.p50),
        p99Ms: median(m.p99),
        cpuUsPerRequest: round(median(m.cpuUsPerReq), 1),
        openLoop: { rate, p50Us: round(median(l.p50)), p90Us: round(median(l.p90)), p99Us: round(median(l.p99)) },
        errors: m.errors + l.errors,
      };
    }
    const d = figures.direct;
    const s = figures.slipway;
    const n = figures.nginx;
    const ratios = {
      slipwayVsDirectRps: round(s.rps / d.rps, 3),
      addedLatencyP50Us: round(s.openLoop.p50Us - d.openLoop.p50Us),
      addedLatencyP99Us: round(s.openLoop.p99Us - d.openLoop.p99Us),
    };
    if (n) {
      ratios.slipwayVsNginxRps = round(s.rps / n.rps, 3);
      ratios.slipwayVsNginxCpuPerRequest = round(s.cpuUsPerRequest / n.cpuUsPerRequest, 2);
      ratios.nginxAddedLatencyP50Us = round(n.openLoop.p50Us - d.openLoop.p50Us);
      ratios.nginxAddedLatencyP99Us = round(n.openLoop.p99Us - d.openLoop.p99Us);
    }
    const goals = {
      'throughput ≥ 60 % of nginx': n ? ratios.slipwayVsNginxRps >= 0.6 : null,
      'added latency p50 ≤ 150 µs': ratios.addedLatencyP50Us <= 150,
      'added latency p99 ≤ 1 ms': ratios.addedLatencyP99Us <= 1000,
      'no errors': Object.values(figures).every((f) => f.errors === 0),
    };
    const result = {
      at: new Date().toISOString(),
      node: process.version,
      pinned: pin,
      settings: { seconds, warmupSeconds, rounds, connections, rate, latencySeconds },
      figures,
      ratios,
      goals,
    };

    log('\nproxy bench' + (pin ? ' (load + app on core 0, proxy on core 1)' : ' (unpinned)'));
    log('target    rps (median)   runs                      p50/p99 ms   CPU µs/req   open-loop p50/p90/p99 µs @ ' + rate + ' rps');
    for (const [name, f] of Object.entries(figures)) {
      log(
        `${name.padEnd(9)} ${String(f.rps).padStart(10)}     ${f.rpsRuns.join(' / ').padEnd(25)} ${`${f.p50Ms}/${f.p99Ms}`.padStart(10)}   ${String(f.cpuUsPerRequest).padStart(10)}   ${f.openLoop.p50Us} / ${f.openLoop.p90Us} / ${f.openLoop.p99Us}`,
      );
    }
    log(`ratios: ${JSON.stringify(ratios)}`);
    log(`goals:  ${JSON.stringify(goals)}`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2));
    log(`wrote ${out}`);
    return result;
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    if (pin && originalMask) spawnSync('taskset', ['-a', '-p', originalMask, String(process.pid)]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchProxy();
}
