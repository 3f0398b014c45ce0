// The proxy outlives its own failures and replacements: after `kill -9` the control side brings it
// back with its persisted routes within a second, one home never gets two daemons, and an upgrade
// under load (POST /v1/upgrade or SIGUSR2) drops no request.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DAEMON_SCRIPT, ensureProxy } from '../../src/adapters/proxy/client.js';
import {
  backend,
  cannon,
  fetchRaw,
  freePort,
  killQuietly,
  load,
  pidAlive,
  readJson,
  routes,
  startProxy,
  startUpstream,
  tempHome,
  type Upstream,
} from './proxy-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

let a: Upstream;
before(async () => {
  a = await startUpstream('a');
});
after(() => a.close());

const statePid = (home: string) => readJson<{ pid: number }>(path.join(home, 'proxy', 'proxy.json'))?.pid ?? 0;

void describe('restart', () => {
  void test('after kill -9, ensureProxy restarts the proxy with its routes', async () => {
    const { home, client, cleanup } = await startProxy();
    try {
      const port = await freePort();
      assert.ok((await client.setRoutes('prod', routes(port, backend('v1', 1, [a])))).ok);
      const pid = statePid(home);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !pidAlive(pid), { what: 'the proxy to die' });
      assert.equal(await client.isAlive(), false);
      await assert.rejects(fetchRaw(`http://127.0.0.1:${port}/`), /ECONNREFUSED/);

      // How quickly it is back is `npm run bench -- proxy-restart`'s figure, not this test's.
      const again = await ensureProxy(home);
      const r = await fetchRaw(`http://127.0.0.1:${port}/`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-upstream'], 'a');
      assert.notEqual(statePid(home), pid);
      assert.equal(await again.isAlive(), true);
      assert.deepEqual((await again.getRoutes()).map((e) => [e.env, e.port, e.listening]), [['prod', port, true]]);
      await again.close();
    } finally {
      await cleanup();
    }
  });

  void test('a stale proxy.json naming a dead pid is ignored; a second daemon for the same home refuses to start', async () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, 'proxy'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(home, 'proxy', 'proxy.json'), JSON.stringify({ pid: Number(dead), adminPort: 1, startedAt: 'x' }));
    fs.writeFileSync(path.join(home, 'proxy', 'proxy.lock'), `${dead}\n`);
    const client = await ensureProxy(home);
    try {
      assert.equal(await client.isAlive(), true);
      assert.notEqual(statePid(home), Number(dead));
      const second = spawn(process.execPath, [DAEMON_SCRIPT, '--home', home], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
      assert.equal(code, 3);
      assert.match(stderr, new RegExp(`another proxy \\(pid ${statePid(home)}\\) already serves`));
    } finally {
      await client.stop();
      await client.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  void test('a damaged routes.json stops the start with a clear error instead of serving nothing', async () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, 'proxy'));
    fs.writeFileSync(path.join(home, 'proxy', 'routes.json'), '{"envs": {"prod": {"port": 0, "backends": []}}}');
    try {
      await assert.rejects(ensureProxy(home), /routes\.json: environment prod: port must be an integer/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

void describe('upgrade', () => {
  void test('two upgrades under keep-alive and non-keep-alive load drop 0 requests; routes and counts carry over', async () => {
    const { home, client, cleanup } = await startProxy();
    const b = await startUpstream('b');
    try {
      const port = await freePort();
      assert.ok((await client.setRoutes('prod', routes(port, backend('v1', 0.5, [a]), backend('v2', 0.5, [b])))).ok);
      const url = `http://127.0.0.1:${port}/`;
      const first = statePid(home);
      const pids: number[] = [first];
      const upgrading = (async () => {
        for (let i = 0; i < 2; i++) {
          await sleep(1000);
          const r = await client.upgrade();
          assert.ok(r.ok, r.ok ? '' : r.message);
          pids.push(r.value.pid);
        }
        await sleep(800);
      })();
      const [ac, keepAlive, fresh] = await Promise.all([
        cannon({ url, seconds: 3.5, connections: 10 }),
        load({ url, until: upgrading, keepAlive: true, concurrency: 4, method: 'POST', body: Buffer.alloc(4096, 'z') }),
        load({ url, until: upgrading, keepAlive: false, concurrency: 2 }),
        upgrading,
      ]);
      assert.ok(ac.requests.total > 200, `autocannon: only ${ac.requests.total}`);
      assert.equal(ac.errors, 0, 'autocannon errors');
      assert.equal(ac.timeouts, 0);
      assert.equal(ac.non2xx, 0);
      for (const [what, r] of [['keep-alive POST', keepAlive], ['new connection per GET', fresh]] as const) {
        assert.ok(r.total > 50, `${what}: only ${r.total}`);
        assert.equal(r.errors, 0, `${what}: ${r.firstError}`);
        assert.equal(r.non2xx, 0, what);
      }
      assert.equal(new Set(pids).size, 3, 'each upgrade started a new process');
      assert.equal(statePid(home), pids[2]);
      await waitFor(() => !pidAlive(pids[0]!) && !pidAlive(pids[1]!), { what: 'the replaced processes to exit', timeout: 15_000 });
      assert.equal(await client.isAlive(), true);
      assert.deepEqual((await client.getRoutes()).map((e) => e.env), ['prod']);
      const snap = await client.metricsSnapshot('prod');
      const counted = snap.releases.reduce((t, r) => t + r.requests.total, 0);
      // Counts carried over from the earlier processes: far more than the last one saw alone.
      assert.ok(counted > (ac.requests.total + keepAlive.total + fresh.total) / 2, `counted ${counted}`);
    } finally {
      await cleanup();
      await b.close();
    }
  });

  void test('SIGUSR2 replaces the process too', async () => {
    const { home, client, cleanup } = await startProxy();
    try {
      const port = await freePort();
      assert.ok((await client.setRoutes('prod', routes(port, backend('v1', 1, [a])))).ok);
      const old = statePid(home);
      killQuietly(old, 'SIGUSR2');
      await waitFor(() => statePid(home) !== old, { what: 'a new pid in proxy.json' });
      await waitFor(() => !pidAlive(old), { what: 'the old process to exit' });
      assert.equal((await fetchRaw(`http://127.0.0.1:${port}/`)).status, 200);
    } finally {
      await cleanup();
    }
  });
});
