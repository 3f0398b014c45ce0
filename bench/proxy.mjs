// Proxy figures (SPEC §11, issue 11.6): throughput and added latency of `slipway proxy` against the
// app reached directly, nginx and Caddy (when installed), on plain HTTP and on HTTPS with the same
// certificate, and TLS handshakes per second, all measured in the same run. Two more baselines on
// the proxy's core show where the time goes: a bare Node HTTP server answering by itself (Node's
// own HTTP floor), a bare `net` pipe to the app (relaying bytes through Node, no HTTP parsed) and
// the least HTTP proxy Node can be (a Node server and an undici pool, no logic).
// Layout (REFERENCE.md, benchmark method): the load generator and the app share core 0, the proxy
// under test has core 1 (taskset, when present). Throughput: closed-loop autocannon, warm-up, then
// rounds with the targets in rotating order, medians reported. Latency: open-loop at a fixed rate
// from a client with µs timing (autocannon records whole milliseconds), each target paired with
// the app reached directly in the same loop, so that added latency is a difference taken within
// one run (the machine is shared: noise between runs would swamp a 150 µs figure). Also the proxy's CPU time
// per request, read from /proc: a figure that does not depend on which process is the bottleneck.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { ensureProxy } from '../dist/src/adapters/proxy/client.js';
import { saveEdgeSettings } from '../dist/src/proxy/edge-settings.js';

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

/** A bare `net` relay to the app: argv[1] is the app's port; prints its own port. */
const PIPE = `
const net = require('node:net');
const appPort = Number(process.argv[1]);
const server = net.createServer((c) => {
  const u = net.connect(appPort, '127.0.0.1');
  c.setNoDelay(true);
  u.setNoDelay(true);
  c.pipe(u).pipe(c);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/**
 * The least HTTP proxy Node can be: a Node HTTP server and an undici pool (as Slipway's), no
 * routing, metrics or header rules. argv[1] is undici's entry file, argv[2] the app's port.
 */
const NODE_PROXY = `
const http = require('node:http');
const { Pool } = require(process.argv[1]);
const pool = new Pool('http://127.0.0.1:' + process.argv[2], { connections: 1024, pipelining: 1 });
const server = http.createServer((req, res) => {
  const headers = { ...req.headers };
  delete headers.connection;
  delete headers['keep-alive'];
  pool
    .request({ path: req.url, method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req })
    .then(({ statusCode, headers, body }) => {
      delete headers.connection;
      delete headers['keep-alive'];
      res.writeHead(statusCode, headers);
      body.pipe(res);
    })
    .catch(() => {
      res.statusCode = 502;
      res.end();
    });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/** The name the bench's certificate is for; every HTTPS client sends it as SNI and Host. */
const NAME = 'bench.test';

const readFileSafe = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
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
  const https = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, ...(https ? { servername: NAME, headers: { host: NAME } } : {}) }, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

/**
 * Full TLS handshakes per second against `port` (a new connection each, no session resumed, the
 * certificate checked against `ca`): `concurrency` loops for `seconds`.
 */
async function handshakes(port, ca, { seconds, concurrency = 16 }) {
  let done = 0;
  let errors = 0;
  let negotiated;
  const until = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      await new Promise((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, servername: NAME, ca, ALPNProtocols: ['http/1.1'] });
        s.once('secureConnect', () => {
          negotiated ??= `${s.getProtocol()} ${s.getCipher().name} ${s.getEphemeralKeyInfo().name ?? ''}`.trim();
          done++;
          s.destroy();
          resolve();
        });
        s.once('error', () => {
          errors++;
          s.destroy();
          resolve();
        });
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { perSecond: done / seconds, errors, negotiated };
}

/**
 * Open-loop load at `rate` requests/s to each of `urls` at once, for `seconds`: every tick sends
 * the same number of requests to each (in alternating order), so that they share the machine's
 * moments and a noisy neighbour slows them alike. Latency of each request in µs, per URL.
 */
async function openLoop(urls, { rate, seconds, connections = 16, ca }) {
  const runs = urls.map((url) => {
    const https = url.startsWith('https:');
    return {
      pool: new Pool(url, { connections, pipelining: 1, ...(https ? { connect: { ca, servername: NAME } } : {}) }),
      options: { path: '/', method: 'GET', ...(https ? { headers: { host: NAME } } : {}) },
      lat: [],
      errors: 0,
      non2xx: 0,
    };
  });
  const inflight = new Set();
  const fire = (run) => {
    const t0 = process.hrtime.bigint();
    const p = run.pool
      .request(run.options)
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode !== 200) run.non2xx++;
        run.lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      })
      .catch(() => run.errors++)
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const start = performance.now();
  const total = Math.round(rate * seconds);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (sent < due) {
      for (let i = 0; i < runs.length; i++) fire(runs[(i + sent) % runs.length]);
      sent++;
    }
    await sleep(1);
  }
  await Promise.all(inflight);
  return Promise.all(
    runs.map(async (run) => {
      await run.pool.close();
      const lat = run.lat.sort((x, y) => x - y);
      return { requests: lat.length, errors: run.errors, non2xx: run.non2xx, p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99) };
    }),
  );
}

function nginxConf(dir, { http, https, cert, key }, upstreamPort) {
  const location = `
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }`;
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
    listen 127.0.0.1:${http};${location}
  }
  server {
    listen 127.0.0.1:${https} ssl;
    server_name ${NAME};
    ssl_certificate ${cert};
    ssl_certificate_key ${key};${location}
  }
}
`;
}

/** Caddy with its admin API and automatic HTTPS off, the same certificate, logs off by default. */
function caddyConf({ http, https, cert, key }, upstreamPort) {
  return `{
  admin off
  auto_https off
}
http://:${http} {
  bind 127.0.0.1
  reverse_proxy 127.0.0.1:${upstreamPort}
}
https://${NAME}:${https} {
  bind 127.0.0.1
  tls ${cert} ${key}
  reverse_proxy 127.0.0.1:${upstreamPort}
}
`;
}

/**
 * Spawns `cmd args` pinned to `core` (when taskset exists), in a process group of its own, and
 * registers its stop in `cleanups`: SIGTERM to the whole group (nginx's worker with its master),
 * SIGKILL when it has not exited within 3 s.
 */
function startProcess(pin, core, cmd, args, cleanups, { env, stdout = 'ignore', stderr = 'inherit' } = {}) {
  const child = spawn(pin ? 'taskset' : cmd, pin ? ['-c', String(core), cmd, ...args] : args, { stdio: ['ignore', stdout, stderr], env, detached: true });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signal('SIGTERM');
    const late = setTimeout(() => signal('SIGKILL'), 3000);
    await exited;
    clearTimeout(late);
  });
  return child;
}

/** startProcess for a Node script that prints its port first; resolves with the child and that port. */
function startPrinting(pin, core, cmd, args, cleanups) {
  const child = startProcess(pin, core, cmd, args, cleanups, { stdout: 'pipe' });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
    child.once('exit', () => reject(new Error(`${cmd} exited at start`)));
  });
}

/**
 * Runs every cleanup once, last registered first, also on SIGINT/SIGTERM (then exits): no nginx,
 * Caddy, proxy or app outlives the bench.
 */
function cleanupOnExit(cleanups) {
  let ran;
  const run = () =>
    (ran ??= (async () => {
      for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch((e) => console.error(`bench cleanup: ${e.message}`));
    })());
  const onSignal = (sig) => {
    run().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await run();
  };
}

const verdict = (ok) => (ok === null ? 'n/a ' : ok ? 'PASS' : 'MISS');

/**
 * Runs the proxy bench; returns the figures and writes them to `out`.
 * Options: seconds (per throughput run, 5), warmupSeconds (1), rounds (3), connections (50),
 * rate (open-loop rps, 1000), latencySeconds (5), handshakeSeconds (3), nginx and caddy (paths;
 * each skipped when absent), log, out.
 */
export async function benchProxy(opts = {}) {
  const {
    seconds = 5,
    warmupSeconds = 1,
    rounds = 3,
    connections = 50,
    rate = 1000,
    latencySeconds = 5,
    handshakeSeconds = 3,
    nginx = '/usr/sbin/nginx',
    caddy = '/usr/bin/caddy',
    log = console.log,
    out = join(here, 'results', 'proxy.json'),
  } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-proxy-'));
  const pin = hasTaskset();
  // The first registered runs last: the temporary folder goes after everything that used it.
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  const cleanup = cleanupOnExit(cleanups);
  const originalMask = pin ? spawnSync('taskset', ['-p', String(process.pid)]).stdout.toString().trim().split(/\s+/).pop() : undefined;
  try {
    if (pin) spawnSync('taskset', ['-a', '-pc', '0', String(process.pid)]);

    // One certificate for every HTTPS server: an ECDSA P-256 key, as Let's Encrypt issues by default.
    const cert = join(dir, 'bench.crt');
    const key = join(dir, 'bench.key');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${NAME}`, '-addext', `subjectAltName=DNS:${NAME}`], { stdio: 'ignore' });
    if (made.status !== 0) throw new Error('openssl could not make the bench certificate');
    const ca = readFileSync(cert);

    // The app, on core 0 with the load generator.
    const { child: app, port: appPort } = await startPrinting(pin, 0, process.execPath, ['-e', APP], cleanups);

    // Slipway's proxy, on core 1: the environment's own port (plain HTTP) and a shared HTTPS listener.
    const home = join(dir, 'home');
    const slipwayHttps = await freePort();
    saveEdgeSettings(home, { https: { host: '127.0.0.1', port: slipwayHttps }, certificates: [{ cert, key }] });
    const proxy = await ensureProxy(home);
    const proxyPid = JSON.parse(readFileSync(join(home, 'proxy', 'proxy.json'), 'utf8')).pid;
    // Runs after the stop below: kills the daemon only when that stop failed to end it.
    cleanups.push(() => {
      if (readFileSafe(`/proc/${proxyPid}/cmdline`).includes('daemon')) process.kill(proxyPid, 'SIGKILL');
    });
    cleanups.push(() => proxy.stop().then(() => proxy.close()));
    if (pin) spawnSync('taskset', ['-a', '-pc', '1', String(proxyPid)]);
    const slipwayPort = await freePort();
    const set = await proxy.setRoutes('bench', {
      port: slipwayPort,
      domains: [NAME],
      backends: [{ release: 'v1', weight: 1, instances: [{ id: 'app-1', url: `http://127.0.0.1:${appPort}` }] }],
    });
    if (!set.ok) throw new Error(`proxy refused the bench routes: ${set.message}`);
    await waitForPort(slipwayHttps);

    // Where the time goes, on the proxy's core: Node answering by itself, and Node relaying bytes.
    const echo = await startPrinting(pin, 1, process.execPath, ['-e', APP], cleanups);
    const pipe = await startPrinting(pin, 1, process.execPath, ['-e', PIPE, String(appPort)], cleanups);
    const nodeProxy = await startPrinting(pin, 1, process.execPath, ['-e', NODE_PROXY, createRequire(import.meta.url).resolve('undici'), String(appPort)], cleanups);

    const targets = [
      { name: 'direct', url: `http://127.0.0.1:${appPort}/`, pid: app.pid },
      { name: 'slipway', url: `http://127.0.0.1:${slipwayPort}/`, pid: proxyPid },
      { name: 'node-echo', url: `http://127.0.0.1:${echo.port}/`, pid: echo.child.pid },
      { name: 'net-pipe', url: `http://127.0.0.1:${pipe.port}/`, pid: pipe.child.pid },
      { name: 'node-proxy', url: `http://127.0.0.1:${nodeProxy.port}/`, pid: nodeProxy.child.pid },
      { name: 'slipway-tls', url: `https://127.0.0.1:${slipwayHttps}/`, pid: proxyPid, tlsPort: slipwayHttps },
    ];
    if (existsSync(nginx)) {
      const ngDir = join(dir, 'nginx');
      mkdirSync(ngDir);
      const ports = { http: await freePort(), https: await freePort(), cert, key };
      writeFileSync(join(ngDir, 'nginx.conf'), nginxConf(ngDir, ports, appPort));
      const args = ['-p', ngDir, '-c', join(ngDir, 'nginx.conf'), '-g', 'daemon off;'];
      const ng = startProcess(pin, 1, nginx, args, cleanups);
      await waitForPort(ports.http);
      await waitForPort(ports.https);
      targets.push({ name: 'nginx', url: `http://127.0.0.1:${ports.http}/`, pid: ng.pid });
      targets.push({ name: 'nginx-tls', url: `https://127.0.0.1:${ports.https}/`, pid: ng.pid, tlsPort: ports.https });
    } else {
      log(`(nginx not found at ${nginx}: no nginx figures)`);
    }
    if (existsSync(caddy)) {
      const cdDir = join(dir, 'caddy');
      mkdirSync(cdDir);
      const ports = { http: await freePort(), https: await freePort(), cert, key };
      writeFileSync(join(cdDir, 'Caddyfile'), caddyConf(ports, appPort));
      // One core like the others: GOMAXPROCS=1 and taskset; its data and config in the bench's folder.
      const env = { ...process.env, GOMAXPROCS: '1', HOME: cdDir, XDG_DATA_HOME: join(cdDir, 'data'), XDG_CONFIG_HOME: join(cdDir, 'config') };
      const args = ['run', '--config', join(cdDir, 'Caddyfile'), '--adapter', 'caddyfile'];
      const cd = startProcess(pin, 1, caddy, args, cleanups, { env, stderr: 'pipe' });
      let cdErr = '';
      cd.stderr.on('data', (d) => (cdErr = (cdErr + d).slice(-2000)));
      try {
        await waitForPort(ports.http);
        await waitForPort(ports.https);
      } catch (e) {
        throw new Error(`caddy did not start: ${e.message}\n${cdErr}`);
      }
      targets.push({ name: 'caddy', url: `http://127.0.0.1:${ports.http}/`, pid: cd.pid });
      targets.push({ name: 'caddy-tls', url: `https://127.0.0.1:${ports.https}/`, pid: cd.pid, tlsPort: ports.https });
    } else {
      log(`(caddy not found at ${caddy}: no Caddy figures; Debian: apt-get install caddy)`);
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

    // Added latency: each target paired with the app reached directly, in the same open loop (both
    // at `rate`), the difference taken within each run; medians over the rounds.
    const lat = Object.fromEntries(targets.map((t) => [t.name, { p50: [], p90: [], p99: [], addedP50: [], addedP99: [], errors: 0 }]));
    const direct = targets[0];
    const paired = targets.slice(1);
    for (const t of paired) await openLoop([direct.url, t.url], { rate, seconds: 1, ca });
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < paired.length; k++) {
        const t = paired[(k + r) % paired.length];
        const [dr, tr] = await openLoop([direct.url, t.url], { rate, seconds: latencySeconds, ca });
        for (const [name, res] of [
          [direct.name, dr],
          [t.name, tr],
        ]) {
          lat[name].p50.push(res.p50);
          lat[name].p90.push(res.p90);
          lat[name].p99.push(res.p99);
          lat[name].errors += res.errors + res.non2xx;
        }
        lat[t.name].addedP50.push(tr.p50 - dr.p50);
        lat[t.name].addedP99.push(tr.p99 - dr.p99);
      }
    }

    // Full handshakes, against each TLS listener in turn; the server's CPU per handshake too.
    const hs = Object.fromEntries(targets.filter((t) => t.tlsPort).map((t) => [t.name, { perSecond: [], cpuUsPer: [], errors: 0, negotiated: '' }]));
    const tlsTargets = targets.filter((t) => t.tlsPort);
    for (const t of tlsTargets) await handshakes(t.tlsPort, ca, { seconds: 1 });
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < tlsTargets.length; k++) {
        const t = tlsTargets[(k + r) % tlsTargets.length];
        const cpu0 = cpuSeconds(t.pid);
        const res = await handshakes(t.tlsPort, ca, { seconds: handshakeSeconds });
        const cpu = cpuSeconds(t.pid) - cpu0;
        hs[t.name].perSecond.push(res.perSecond);
        if (res.perSecond > 0) hs[t.name].cpuUsPer.push((cpu * 1e6) / (res.perSecond * handshakeSeconds));
        hs[t.name].errors += res.errors;
        hs[t.name].negotiated ||= res.negotiated ?? '';
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
        openLoop: { rate, p50Us: round(median(l.p50)), p90Us: round(median(l.p90)), p99Us: round(median(l.p99)), addedP50Us: round(median(l.addedP50)), addedP99Us: round(median(l.addedP99)) },
        errors: m.errors + l.errors,
      };
      if (hs[t.name]) {
        figures[t.name].handshakesPerSecond = round(median(hs[t.name].perSecond));
        figures[t.name].cpuUsPerHandshake = round(median(hs[t.name].cpuUsPer), 1);
        figures[t.name].tls = hs[t.name].negotiated;
        figures[t.name].errors += hs[t.name].errors;
      }
    }
    const f = figures;
    const d = f.direct;
    const s = f.slipway;
    const ratio = (a, b) => (a && b ? round(a / b, 3) : null);
    const ratios = {
      slipwayVsDirectRps: ratio(s.rps, d.rps),
      addedLatencyP50Us: s.openLoop.addedP50Us,
      addedLatencyP99Us: s.openLoop.addedP99Us,
      slipwayTlsAddedLatencyP50Us: f['slipway-tls'].openLoop.addedP50Us,
      slipwayTlsAddedLatencyP99Us: f['slipway-tls'].openLoop.addedP99Us,
      slipwayVsNginxRps: ratio(s.rps, f.nginx?.rps),
      slipwayVsNginxTlsRps: ratio(f['slipway-tls'].rps, f['nginx-tls']?.rps),
      slipwayVsCaddyRps: ratio(s.rps, f.caddy?.rps),
      slipwayVsCaddyTlsRps: ratio(f['slipway-tls'].rps, f['caddy-tls']?.rps),
      slipwayVsNginxHandshakes: ratio(f['slipway-tls'].handshakesPerSecond, f['nginx-tls']?.handshakesPerSecond),
      slipwayVsCaddyHandshakes: ratio(f['slipway-tls'].handshakesPerSecond, f['caddy-tls']?.handshakesPerSecond),
      slipwayVsNginxCpuPerHandshake: ratio(f['slipway-tls'].cpuUsPerHandshake, f['nginx-tls']?.cpuUsPerHandshake),
      slipwayVsCaddyCpuPerHandshake: ratio(f['slipway-tls'].cpuUsPerHandshake, f['caddy-tls']?.cpuUsPerHandshake),
      // CPU per request on the proxy's core: does not depend on which process is the bottleneck.
      slipwayVsNginxCpuPerRequest: ratio(s.cpuUsPerRequest, f.nginx?.cpuUsPerRequest),
      slipwayVsNginxTlsCpuPerRequest: ratio(f['slipway-tls'].cpuUsPerRequest, f['nginx-tls']?.cpuUsPerRequest),
      slipwayVsCaddyCpuPerRequest: ratio(s.cpuUsPerRequest, f.caddy?.cpuUsPerRequest),
      slipwayVsCaddyTlsCpuPerRequest: ratio(f['slipway-tls'].cpuUsPerRequest, f['caddy-tls']?.cpuUsPerRequest),
      // Where the time goes: Node's own HTTP server and a byte pipe through Node, on the same core.
      slipwayVsNodeEchoRps: ratio(s.rps, f['node-echo'].rps),
      slipwayVsNetPipeRps: ratio(s.rps, f['net-pipe'].rps),
      slipwayVsNodeProxyRps: ratio(s.rps, f['node-proxy'].rps),
      slipwayVsNodeProxyCpuPerRequest: ratio(s.cpuUsPerRequest, f['node-proxy'].cpuUsPerRequest),
      nodeProxyVsNginxCpuPerRequest: ratio(f['node-proxy'].cpuUsPerRequest, f.nginx?.cpuUsPerRequest),
      nodeProxyVsNginxRps: ratio(f['node-proxy'].rps, f.nginx?.rps),
      nodeProxyVsCaddyRps: ratio(f['node-proxy'].rps, f.caddy?.rps),
      nodeProxyAddedLatencyP50Us: f['node-proxy'].openLoop.addedP50Us,
      nodeProxyAddedLatencyP99Us: f['node-proxy'].openLoop.addedP99Us,
      nodeEchoVsNginxRps: ratio(f['node-echo'].rps, f.nginx?.rps),
      netPipeAddedLatencyP50Us: f['net-pipe'].openLoop.addedP50Us,
      netPipeAddedLatencyP99Us: f['net-pipe'].openLoop.addedP99Us,
    };
    if (f.caddy) {
      ratios.caddyAddedLatencyP50Us = f.caddy.openLoop.addedP50Us;
      ratios.caddyAddedLatencyP99Us = f.caddy.openLoop.addedP99Us;
    }
    if (f.nginx) {
      ratios.nginxAddedLatencyP50Us = f.nginx.openLoop.addedP50Us;
      ratios.nginxAddedLatencyP99Us = f.nginx.openLoop.addedP99Us;
      ratios.nginxTlsAddedLatencyP50Us = f['nginx-tls'].openLoop.addedP50Us;
      ratios.nginxTlsAddedLatencyP99Us = f['nginx-tls'].openLoop.addedP99Us;
    }
    const atLeast = (x, goal) => (x === null ? null : x >= goal);
    const goals = {
      'added latency at 1k rps p50 ≤ 150 µs': ratios.addedLatencyP50Us <= 150,
      'added latency at 1k rps p99 ≤ 1 ms': ratios.addedLatencyP99Us <= 1000,
      'HTTP throughput ≥ 0.6× nginx': atLeast(ratios.slipwayVsNginxRps, 0.6),
      'HTTPS throughput ≥ 0.6× nginx': atLeast(ratios.slipwayVsNginxTlsRps, 0.6),
      'HTTP throughput ≥ 1.3× Caddy': atLeast(ratios.slipwayVsCaddyRps, 1.3),
      'HTTPS throughput ≥ 1.3× Caddy': atLeast(ratios.slipwayVsCaddyTlsRps, 1.3),
      'no errors': Object.values(figures).every((x) => x.errors === 0),
    };
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const result = {
      at: new Date().toISOString(),
      node: process.version,
      pinned: pin,
      loadAverage: load,
      settings: { seconds, warmupSeconds, rounds, connections, rate, latencySeconds, handshakeSeconds },
      figures,
      ratios,
      goals,
    };

    log('\nproxy bench' + (pin ? ' (load + app on core 0; proxy, nginx, Caddy and the Node baselines on core 1)' : ' (unpinned)') + `, load average ${load}`);
    log(`target        rps (median)   runs                        p50/p99 ms   CPU µs/req   @ ${rate} rps: p50/p90/p99 µs, added p50/p99 µs   handshakes/s (CPU µs each)`);
    for (const [name, x] of Object.entries(figures)) {
      const h = x.handshakesPerSecond === undefined ? '' : `   ${x.handshakesPerSecond} (${x.cpuUsPerHandshake})`;
      log(
        `${name.padEnd(13)} ${String(x.rps).padStart(10)}     ${x.rpsRuns.join(' / ').padEnd(27)} ${`${x.p50Ms}/${x.p99Ms}`.padStart(10)}   ${String(x.cpuUsPerRequest).padStart(10)}   ${`${x.openLoop.p50Us} / ${x.openLoop.p90Us} / ${x.openLoop.p99Us}`.padEnd(22)} ${name === 'direct' ? '' : `+${x.openLoop.addedP50Us} / +${x.openLoop.addedP99Us}`}${h}`,
      );
    }
    const show = (v, unit = '×') => (v === null ? 'n/a' : `${v}${unit}`);
    log('goals (issue 11.6):');
    log(`  ${verdict(goals['added latency at 1k rps p50 ≤ 150 µs'])}  added latency p50 ${ratios.addedLatencyP50Us} µs (goal ≤ 150)   p99 ${ratios.addedLatencyP99Us} µs ${verdict(goals['added latency at 1k rps p99 ≤ 1 ms'])} (goal ≤ 1000)`);
    log(`        beside it, paired with the app the same way: nginx +${ratios.nginxAddedLatencyP50Us ?? 'n/a'}/+${ratios.nginxAddedLatencyP99Us ?? 'n/a'} µs, Caddy +${ratios.caddyAddedLatencyP50Us ?? 'n/a'}/+${ratios.caddyAddedLatencyP99Us ?? 'n/a'} µs p50/p99; over HTTPS Slipway +${ratios.slipwayTlsAddedLatencyP50Us}/+${ratios.slipwayTlsAddedLatencyP99Us}, nginx +${ratios.nginxTlsAddedLatencyP50Us ?? 'n/a'}/+${ratios.nginxTlsAddedLatencyP99Us ?? 'n/a'}`);
    log(`  ${verdict(goals['HTTP throughput ≥ 0.6× nginx'])}  HTTP  throughput ${show(ratios.slipwayVsNginxRps)} nginx (goal ≥ 0.6×)    ${verdict(goals['HTTP throughput ≥ 1.3× Caddy'])}  ${show(ratios.slipwayVsCaddyRps)} Caddy (goal ≥ 1.3×)`);
    log(`  ${verdict(goals['HTTPS throughput ≥ 0.6× nginx'])}  HTTPS throughput ${show(ratios.slipwayVsNginxTlsRps)} nginx (goal ≥ 0.6×)    ${verdict(goals['HTTPS throughput ≥ 1.3× Caddy'])}  ${show(ratios.slipwayVsCaddyTlsRps)} Caddy (goal ≥ 1.3×)`);
    log(`  TLS handshakes/s: ${show(ratios.slipwayVsNginxHandshakes)} nginx, ${show(ratios.slipwayVsCaddyHandshakes)} Caddy (no goal set; reported); server CPU per handshake ${show(ratios.slipwayVsNginxCpuPerHandshake)} nginx's, ${show(ratios.slipwayVsCaddyCpuPerHandshake)} Caddy's (${f['slipway-tls'].tls})`);
    log(`  ${verdict(goals['no errors'])}  no errors`);
    log('where the time goes (same core, same run):');
    log(`  CPU per request (the proxy's own cost, whichever process is the bottleneck): Slipway ${s.cpuUsPerRequest} µs = ${show(ratios.slipwayVsNginxCpuPerRequest)} nginx's, ${show(ratios.slipwayVsCaddyCpuPerRequest)} Caddy's; over HTTPS ${f['slipway-tls'].cpuUsPerRequest} µs = ${show(ratios.slipwayVsNginxTlsCpuPerRequest)} nginx's, ${show(ratios.slipwayVsCaddyTlsCpuPerRequest)} Caddy's`);
    log(`  Node's floor: a bare Node HTTP server answering itself ${f['node-echo'].rps} rps (${show(ratios.nodeEchoVsNginxRps)} nginx proxying, ${f['node-echo'].cpuUsPerRequest} µs CPU/req); a bare net pipe ${f['net-pipe'].rps} rps (${f['net-pipe'].cpuUsPerRequest} µs CPU/req, +${ratios.netPipeAddedLatencyP50Us}/+${ratios.netPipeAddedLatencyP99Us} µs p50/p99)`);
    log(`  the least Node HTTP proxy (Node server + undici pool, no logic) ${f['node-proxy'].rps} rps = ${show(ratios.nodeProxyVsNginxRps)} nginx, ${show(ratios.nodeProxyVsCaddyRps)} Caddy; ${f['node-proxy'].cpuUsPerRequest} µs CPU/req = ${show(ratios.nodeProxyVsNginxCpuPerRequest)} nginx's; added +${ratios.nodeProxyAddedLatencyP50Us}/+${ratios.nodeProxyAddedLatencyP99Us} µs p50/p99`);
    log(`  Slipway = ${show(ratios.slipwayVsNodeEchoRps)} the bare Node server, ${show(ratios.slipwayVsNetPipeRps)} the bare pipe, ${show(ratios.slipwayVsNodeProxyRps)} the least Node proxy (its CPU per request ${show(ratios.slipwayVsNodeProxyCpuPerRequest)} that proxy's)`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2));
    log(`wrote ${out}`);
    return result;
  } finally {
    await cleanup();
    if (pin && originalMask) spawnSync('taskset', ['-a', '-p', originalMask, String(process.pid)]);
  }
}

/** `--quick`: one round of short runs (about a minute), for checking the bench itself. */
export const QUICK_PROXY = { seconds: 2, rounds: 1, latencySeconds: 2, handshakeSeconds: 1 };

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchProxy(process.argv.includes('--quick') ? QUICK_PROXY : {});
}
