// The proxy's restart time: after `kill -9` of the proxy daemon, how long until `ensureProxy`
// has started a new one and an environment's port answers again with its routes. Against a
// baseline in the same run: a bare `node` HTTP server's start to its first answer. (The e2e tests
// check that it comes back, with its routes; how fast is this figure, not a test's bound.)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureProxy } from '../dist/src/adapters/proxy/client.js';

const APP = `
const http = require('node:http');
http.createServer((req, res) => res.end('ok')).listen(Number(process.argv[1]), '127.0.0.1');
`;

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** One GET; resolves with the status, or rejects (connection refused while nothing listens). */
const get = (url) =>
  new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
  });

/** Milliseconds from now until `url` answers 200 (polling every millisecond, for at most 20 s). */
async function untilServing(url, t0) {
  const deadline = t0 + 20_000;
  for (;;) {
    try {
      if ((await get(url)) === 200) return performance.now() - t0;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer within 20 s`);
    await sleep(1);
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const r1 = (x) => Math.round(x * 10) / 10;

export async function benchProxyRestart({ rounds = 10, log = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-restart-'));
  const upstream = http.createServer((req, res) => res.end('ok'));
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const home = join(dir, 'home');
  let proxy = await ensureProxy(home);
  try {
    const port = await freePort();
    const set = await proxy.setRoutes('bench', {
      port,
      backends: [{ release: 'v1', weight: 1, instances: [{ id: 'app-1', url: `http://127.0.0.1:${upstream.address().port}` }] }],
    });
    if (!set.ok) throw new Error(`the proxy refused the bench routes: ${set.message}`);
    const url = `http://127.0.0.1:${port}/`;
    await untilServing(url, performance.now());

    const bare = [];
    const restart = [];
    for (let r = 0; r < rounds; r++) {
      // Baseline: a bare node server, from spawn to its first 200.
      const appPort = await freePort();
      const t0 = performance.now();
      const app = spawn(process.execPath, ['-e', APP, String(appPort)], { stdio: 'ignore' });
      try {
        bare.push(await untilServing(`http://127.0.0.1:${appPort}/`, t0));
      } finally {
        app.kill('SIGKILL');
      }

      // The proxy: kill -9, then ensureProxy (as the control plane does) until the port serves.
      const pid = JSON.parse(readFileSync(join(home, 'proxy', 'proxy.json'), 'utf8')).pid;
      await proxy.close();
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(1);
      const t1 = performance.now();
      proxy = await ensureProxy(home);
      restart.push(await untilServing(url, t1));
    }

    const result = {
      rounds,
      restartMs: { p50: r1(pct(restart, 50)), max: r1(Math.max(...restart)) },
      bareNodeStartMs: { p50: r1(pct(bare, 50)), max: r1(Math.max(...bare)) },
      ratioP50: Math.round((pct(restart, 50) / pct(bare, 50)) * 100) / 100,
    };
    log(`\nproxy restart after kill -9 → ensureProxy → first 200 on the env port (${rounds} rounds)`);
    log(`  restart        p50 ${result.restartMs.p50} ms, max ${result.restartMs.max} ms`);
    log(`  bare node start p50 ${result.bareNodeStartMs.p50} ms, max ${result.bareNodeStartMs.max} ms (spawn → first 200)`);
    log(`  ratio p50 ${result.ratioP50}× a bare node start (the e2e test once asserted ≤ 1000 ms; figures belong here)`);
    return result;
  } finally {
    await proxy.stop().catch(() => {});
    await proxy.close().catch(() => {});
    await new Promise((resolve) => upstream.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
