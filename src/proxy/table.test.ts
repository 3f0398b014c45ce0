import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { EnvRoutes } from '../ports/proxy.js';
import { EnvStats } from './metrics.js';
import { UpstreamRegistry, buildTable, pickBackend, pickInstance, releaseTable } from './table.js';

const registry = new UpstreamRegistry();
after(() => registry.closeAll());

const routes = (weights: number[]): EnvRoutes => ({
  port: 1,
  backends: weights.map((weight, i) => ({
    release: `v${i}`,
    weight,
    instances: [
      { id: 'a', url: `http://127.0.0.1:${40000 + i * 10}` },
      { id: 'b', url: `http://127.0.0.1:${40001 + i * 10}` },
    ],
  })),
});

void describe('routing table', () => {
  void test('a weighted draw maps [0,1) onto the backends by weight; weight 0 is never chosen', () => {
    const t = buildTable(routes([0.25, 0, 0.75]), registry, new EnvStats());
    assert.equal(pickBackend(t, 0)!.release, 'v0');
    assert.equal(pickBackend(t, 0.2499)!.release, 'v0');
    assert.equal(pickBackend(t, 0.25)!.release, 'v2');
    assert.equal(pickBackend(t, 0.9999)!.release, 'v2');
    assert.equal(t.backends.length, 3, 'the weight-0 release stays in the table, warm');
    releaseTable(t, registry);
  });

  void test('an empty table has no backend', () => {
    const t = buildTable({ port: 1, backends: [] }, registry, new EnvStats());
    assert.equal(pickBackend(t, 0.5), undefined);
  });

  void test('instances take turns, the least busy first, and a failed one is avoided', () => {
    const t = buildTable(routes([1]), registry, new EnvStats());
    const b = t.backends[0]!;
    const ids = [0, 1, 2, 3].map(() => pickInstance(b).id);
    assert.deepEqual(ids, ['a', 'b', 'a', 'b']);
    b.instances[0]!.upstream.inflight = 5;
    assert.deepEqual([0, 1, 2].map(() => pickInstance(b).id), ['b', 'b', 'b']);
    b.instances[0]!.upstream.inflight = 0;
    const a = b.instances[0]!.upstream;
    assert.deepEqual([0, 1, 2].map(() => pickInstance(b, a).id), ['b', 'b', 'b']);
    releaseTable(t, registry);
  });

  void test('tables share pools by origin; a pool closes when no table refers to it', () => {
    const stats = new EnvStats();
    const first = buildTable(routes([1]), registry, stats);
    const second = buildTable(routes([1]), registry, stats);
    const up = first.backends[0]!.instances[0]!.upstream;
    assert.equal(second.backends[0]!.instances[0]!.upstream, up);
    assert.equal(up.refs, 2);
    releaseTable(first, registry);
    assert.equal(up.refs, 1);
    assert.equal(up.pool.closed, false);
    releaseTable(second, registry);
    assert.equal(up.pool.closed, true);
  });
});
