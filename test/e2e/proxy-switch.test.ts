// Switching releases under load drops nothing (SPEC §11: 0 failed requests during deploys), and a
// release leaving the table drains: its in-flight requests finish where they started.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProxyClient } from '../../src/adapters/proxy/client.js';
import { backend, cannon, fetchRaw, freePort, load, routes, startProxy, startUpstream, type Upstream } from './proxy-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

let client: ProxyClient;
let cleanup: () => Promise<void>;
let v1: Upstream[];
let v2: Upstream[];

before(async () => {
  ({ client, cleanup } = await startProxy());
  v1 = await Promise.all([startUpstream('v1a'), startUpstream('v1b')]);
  v2 = await Promise.all([startUpstream('v2a'), startUpstream('v2b')]);
});
after(async () => {
  await cleanup();
  await Promise.all([...v1, ...v2].map((u) => u.close()));
});

/** 20 switches, 100 ms apart, between v1, a canary and v2; resolves when done. */
async function switchRepeatedly(env: string, port: number): Promise<void> {
  const tables = [
    routes(port, backend('v1', 1, v1), backend('v2', 0, v2)),
    routes(port, backend('v1', 0.5, v1), backend('v2', 0.5, v2)),
    routes(port, backend('v2', 1, v2), backend('v1', 0, v1)),
    routes(port, backend('v2', 1, v2)),
  ];
  for (let i = 0; i < 20; i++) {
    await sleep(100);
    const r = await client.setRoutes(env, tables[i % tables.length]!);
    assert.ok(r.ok, r.ok ? '' : r.message);
  }
}

void describe('atomic switch under load', () => {
  void test('keep-alive GET load (autocannon): 20 switches, 0 errors, 0 non-2xx, both releases served', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('ka', routes(port, backend('v1', 1, v1)))).ok);
    const hitsBefore = [...v1, ...v2].map((u) => u.hits);
    const [result] = await Promise.all([cannon({ url: `http://127.0.0.1:${port}/`, seconds: 3, connections: 10 }), switchRepeatedly('ka', port)]);
    assert.ok(result.requests.total > 200, `only ${result.requests.total} requests`);
    assert.equal(result.errors, 0);
    assert.equal(result.timeouts, 0);
    assert.equal(result.non2xx, 0);
    const gained = [...v1, ...v2].map((u, i) => u.hits - hitsBefore[i]!);
    assert.ok(gained.every((n) => n > 0), `every instance served: ${gained.join(', ')}`);
  });

  void test('keep-alive POST load with a body (autocannon): 20 switches, 0 errors, 0 non-2xx', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('kapost', routes(port, backend('v1', 1, v1)))).ok);
    const [result] = await Promise.all([
      cannon({ url: `http://127.0.0.1:${port}/submit`, seconds: 3, connections: 10, method: 'POST', body: 'x'.repeat(2048) }),
      switchRepeatedly('kapost', port),
    ]);
    assert.ok(result.requests.total > 200, `only ${result.requests.total} requests`);
    assert.equal(result.errors, 0);
    assert.equal(result.timeouts, 0);
    assert.equal(result.non2xx, 0);
  });

  void test('non-keep-alive load, GETs and POSTs with a body: 20 switches, 0 errors, 0 non-2xx', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('nka', routes(port, backend('v1', 1, v1)))).ok);
    const switching = switchRepeatedly('nka', port);
    const url = `http://127.0.0.1:${port}/`;
    const [gets, posts] = await Promise.all([
      load({ url, until: switching, keepAlive: false, concurrency: 4 }),
      load({ url, until: switching, keepAlive: false, concurrency: 4, method: 'POST', body: Buffer.alloc(8192, 'y') }),
    ]);
    for (const [what, r] of [['GET', gets], ['POST', posts]] as const) {
      assert.ok(r.total > 50, `${what}: only ${r.total} requests`);
      assert.equal(r.errors, 0, `${what}: ${r.firstError}`);
      assert.equal(r.non2xx, 0, what);
      assert.ok(r.byUpstream.size >= 3, `${what} reached ${[...r.byUpstream.keys()].join(', ')}`);
    }
  });
});

void describe('drain', () => {
  void test('a slow request on the old release completes after the switch, and inflight then reads 0', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('drain', routes(port, backend('v1', 1, [v1[0]!])))).ok);
    const slow = fetchRaw(`http://127.0.0.1:${port}/slow?ms=800`);
    await waitFor(async () => (await client.inflight('drain', 'v1')) === 1, { what: 'v1 to have the request in flight' });
    // v1 leaves the table entirely.
    assert.ok((await client.setRoutes('drain', routes(port, backend('v2', 1, [v2[0]!])))).ok);
    const fresh = await fetchRaw(`http://127.0.0.1:${port}/`);
    assert.equal(fresh.headers['x-upstream'], 'v2a', 'new requests go to v2 at once');
    assert.equal(await client.inflight('drain', 'v1'), 1, 'the old request is still running');
    const done = await slow;
    assert.equal(done.status, 200);
    assert.equal(done.headers['x-upstream'], 'v1a', 'it finished on the release it started on');
    assert.equal(await client.inflight('drain', 'v1'), 0);
  });
});
