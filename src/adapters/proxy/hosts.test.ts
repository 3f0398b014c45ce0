import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostSpec } from '../../core/config/types.js';
import type { EnvRoutes, EnvRouteStatus, MetricsSnapshot, ProxyControl } from '../../ports/proxy.js';
import { hostsProxy, mergeSnapshots, type HostProxy } from './hosts.js';

/** A host's proxy as the fan-out sees it: its routes by environment, and whether it answers. */
class FakeHostProxy implements HostProxy {
  routes = new Map<string, EnvRoutes>();
  alive = true;
  calls: string[] = [];
  inflightOf = 0;
  constructor(readonly name: string) {}
  private check(): void {
    if (!this.alive) throw new Error(`${this.name} is gone`);
  }
  setRoutes(env: string, routes: EnvRoutes) {
    this.check();
    this.calls.push(`set ${env} ${routes.backends.map((b) => `${b.release}:${b.weight}:${b.instances.map((i) => i.id).join('+')}`).join(',')}`);
    this.routes.set(env, routes);
    return Promise.resolve({ ok: true as const, value: { ...routes, env, host: '127.0.0.1', listening: true } });
  }
  getRoutes(): Promise<EnvRouteStatus[]> {
    this.check();
    return Promise.resolve([...this.routes].map(([env, r]) => ({ ...r, env, host: '127.0.0.1', listening: true })));
  }
  removeEnv(env: string) {
    this.check();
    this.calls.push(`remove ${env}`);
    this.routes.delete(env);
    return Promise.resolve({ ok: true as const, value: null });
  }
  inflight() {
    this.check();
    return Promise.resolve(this.inflightOf);
  }
  metricsSnapshot(env: string): Promise<MetricsSnapshot> {
    this.check();
    return Promise.resolve({ env, now: 1, unrouted: 0, releases: [] });
  }
  isAlive() {
    return Promise.resolve(this.alive);
  }
}

const hosts: HostSpec[] = ['web-1', 'web-2', 'web-3'].map((name) => ({ name, docker: `/s/${name}/docker.sock`, proxy: `/s/${name}/proxy.sock` }));
const local = { inflight: () => Promise.resolve(99) } as unknown as ProxyControl;

const world = () => {
  const home = mkdtempSync(join(tmpdir(), 'slw-hp-unit-'));
  const fakes = new Map(hosts.map((h) => [h.name, new FakeHostProxy(h.name)]));
  const proxy = hostsProxy({ home, local: () => Promise.resolve(local), connect: (h) => fakes.get(h.name) as FakeHostProxy, retryMs: 1 });
  return { home, fakes, proxy, done: () => rmSync(home, { recursive: true, force: true }) };
};

const routesOf = (release: string, onDown: 'wait' | 'skip' | 'rollback', on = hosts.map((h) => h.name)): EnvRoutes => ({
  port: 8080,
  backends: [{ release, weight: 1, instances: on.map((h) => ({ id: `${release}-${h}`, url: 'http://127.0.0.1:4000', host: h })) }],
  hosts: { list: hosts, onDown, waitMs: 50 },
});

test('each host proxy gets the instances on that host only, in order, and the environment is remembered as having hosts', async () => {
  const w = world();
  try {
    const r = await (await w.proxy()).setRoutes('production', routesOf('v1', 'rollback'));
    assert.ok(r.ok);
    assert.deepEqual(r.value.hostReports?.map((x) => `${x.host} ${x.state}`), ['web-1 routed', 'web-2 routed', 'web-3 routed']);
    for (const h of hosts) {
      assert.deepEqual(w.fakes.get(h.name)?.calls, [`set production v1:1:v1-${h.name}`]);
      assert.deepEqual(w.fakes.get(h.name)?.routes.get('production')?.backends[0]?.instances, [{ id: `v1-${h.name}`, url: 'http://127.0.0.1:4000' }], 'no host key sent');
      assert.equal(w.fakes.get(h.name)?.routes.get('production')?.hosts, undefined, 'no hosts key sent');
    }
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(w.home, 'hosts', 'routes.json'), 'utf8')) as object), ['production']);
    // In flight: the hosts' counts added; an environment without hosts asks this machine's proxy.
    for (const f of w.fakes.values()) f.inflightOf = 2;
    assert.equal(await (await w.proxy()).inflight('production', 'v1'), 6);
    assert.equal(await (await w.proxy()).inflight('staging', 'v1'), 99);
    // A new control plane over the same home asks the same hosts.
    const again = hostsProxy({ home: w.home, local: () => Promise.resolve(local), connect: (h) => w.fakes.get(h.name) as FakeHostProxy });
    assert.equal(await (await again()).inflight('production', 'v1'), 6);
  } finally {
    w.done();
  }
});

test('on_host_down: rollback — a host that does not answer fails the change and the hosts already switched get their routes back', async () => {
  const w = world();
  try {
    await (await w.proxy()).setRoutes('production', routesOf('v1', 'rollback'));
    (w.fakes.get('web-2') as FakeHostProxy).alive = false;
    const r = await (await w.proxy()).setRoutes('production', routesOf('v2', 'rollback'));
    assert.ok(!r.ok);
    assert.match(r.message, /^host web-2 cannot be reached \(on_host_down: rollback\): its proxy at \/s\/web-2\/proxy\.sock does not answer; routes put back on web-1$/);
    assert.deepEqual(w.fakes.get('web-1')?.calls, ['set production v1:1:v1-web-1', 'set production v2:1:v2-web-1', 'set production v1:1:v1-web-1']);
    assert.deepEqual(w.fakes.get('web-3')?.calls, ['set production v1:1:v1-web-3'], 'web-3 never touched');
    // A first deployment has nothing to put back: the environment is removed again.
    const fresh = await (await w.proxy()).setRoutes('fresh', routesOf('v1', 'rollback'));
    assert.ok(!fresh.ok);
    assert.deepEqual(w.fakes.get('web-1')?.calls.slice(-2), ['set fresh v1:1:v1-web-1', 'remove fresh']);
  } finally {
    w.done();
  }
});

test('on_host_down: skip and wait — a host left out keeps its routes, a host with no instance of the new release is not switched, a host back in time is switched', async () => {
  const w = world();
  try {
    await (await w.proxy()).setRoutes('production', routesOf('v1', 'skip'));
    (w.fakes.get('web-2') as FakeHostProxy).alive = false;
    const r = await (await w.proxy()).setRoutes('production', routesOf('v2', 'skip'));
    assert.ok(r.ok);
    assert.deepEqual(r.value.hostReports?.map((x) => `${x.host} ${x.state}`), ['web-1 routed', 'web-2 down', 'web-2 skipped', 'web-3 routed']);
    assert.equal(w.fakes.get('web-2')?.routes.get('production')?.backends[0]?.release, 'v1');
    (w.fakes.get('web-2') as FakeHostProxy).alive = true;
    const partial = await (await w.proxy()).setRoutes('production', routesOf('v3', 'skip', ['web-1', 'web-3']));
    assert.ok(partial.ok);
    assert.deepEqual(partial.value.hostReports?.map((x) => `${x.host} ${x.state}${x.message ? `: ${x.message}` : ''}`), ['web-1 routed', 'web-2 skipped: it runs no instance of v3', 'web-3 routed']);
    // wait: down at first, back before waitMs.
    const web3 = w.fakes.get('web-3') as FakeHostProxy;
    web3.alive = false;
    setTimeout(() => (web3.alive = true), 10);
    const waited = await (await w.proxy()).setRoutes('production', routesOf('v4', 'wait'));
    assert.ok(waited.ok);
    assert.deepEqual(waited.value.hostReports?.map((x) => `${x.host} ${x.state}`), ['web-1 routed', 'web-2 routed', 'web-3 waiting', 'web-3 routed']);
    // wait, never back: as rollback.
    web3.alive = false;
    const gaveUp = await (await w.proxy()).setRoutes('production', routesOf('v5', 'wait'));
    assert.ok(!gaveUp.ok);
    assert.match(gaveUp.message, /host web-3 cannot be reached \(on_host_down: wait\).*routes put back on web-1, web-2$/);
    assert.equal(w.fakes.get('web-1')?.routes.get('production')?.backends[0]?.release, 'v4');
  } finally {
    w.done();
  }
});

test('the metrics of several hosts are added, their samples merged in time order', () => {
  const snap = (now: number, t: number[], total: number): MetricsSnapshot => ({
    env: 'production', now, unrouted: 1, rejected: 1,
    releases: [{ release: 'v1', requests: { total, '2xx': total, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: 0, upstreamErrors: 0, inflight: 1, samples: { t, ms: t.map(() => 1), status: t.map(() => 200) } }],
  });
  const m = mergeSnapshots('production', [snap(5, [1, 4], 2), snap(7, [2, 3], 3)]);
  assert.equal(m.now, 7);
  assert.equal(m.unrouted, 2);
  assert.equal(m.releases[0]?.requests.total, 5);
  assert.equal(m.releases[0]?.inflight, 2);
  assert.deepEqual(m.releases[0]?.samples.t, [1, 2, 3, 4]);
});
