// The control plane's client of its proxy (cachedProxy): one client, and so one connection pool to
// the admin API, for as long as the proxy answers, however many checks are made (the soak, issue
// 13.5: a new client per check left pools and keep-alive connections behind); a new one only
// when the proxy is gone, and then the old one is closed.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cachedProxy, type ProxyClient } from '../../src/adapters/proxy/client.js';
import { killQuietly, pidAlive, readJson, startProxy } from './proxy-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

let home: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ home, cleanup } = await startProxy());
});
after(async () => {
  await cleanup();
});

const proxyPid = (): number | undefined => readJson<{ pid?: number }>(path.join(home, 'proxy', 'proxy.json'))?.pid;

void test('many checks of a live proxy reuse one client; a dead proxy gets a new one and the old client is closed', async () => {
  let clock = 0;
  const get = cachedProxy(home, { everyMs: 500, now: () => clock });
  const first = await get();
  const seen = new Set<ProxyClient>([first]);
  // 50 checks past the interval, each one a real health check of the proxy.
  for (let i = 0; i < 50; i++) {
    clock += 600;
    const c = await get();
    seen.add(c);
    assert.ok((await c.getRoutes()) !== undefined);
  }
  assert.equal(seen.size, 1, 'one client for the life of one proxy');

  const pid = proxyPid()!;
  killQuietly(pid);
  await waitFor(() => !pidAlive(pid), { what: 'the killed proxy to be gone' });
  clock += 600;
  const second = await get();
  assert.notEqual(second, first, 'a new client for the proxy started in place of the dead one');
  assert.notEqual(proxyPid(), pid);
  assert.deepEqual(await second.getRoutes(), []);
  // The old client's pool was closed: a call through it fails instead of opening a connection.
  await assert.rejects(first.getRoutes());
  clock += 600;
  assert.equal(await get(), second);
  await second.close();
});
