import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeLabel, renderPrometheus } from './exposition.js';
import { EnvStats, MAX_RELEASES_KEPT, RING_SIZE, ReleaseStats } from './metrics.js';

void describe('ReleaseStats', () => {
  void test('counts status classes, fills buckets and keeps samples in order', () => {
    const s = new ReleaseStats('v1');
    s.record(200, 0.4, 1000);
    s.record(204, 2.5, 1001);
    s.record(302, 12, 1002);
    s.record(404, 80, 1003);
    s.record(502, 20_000, 1004);
    const snap = s.snapshot();
    assert.deepEqual(snap.requests, { total: 5, '2xx': 2, '3xx': 1, '4xx': 1, '5xx': 1 });
    assert.equal(snap.errors, 1);
    assert.deepEqual(snap.samples.status, [200, 204, 302, 404, 502]);
    assert.deepEqual(snap.samples.t, [1000, 1001, 1002, 1003, 1004]);
    assert.equal(s.buckets[0], 1); // 0.4 ms ≤ 1 ms
    assert.equal(s.buckets.at(-1), 1); // 20 s > 10 s: +Inf only
    assert.equal(s.buckets.reduce((a, b) => a + b, 0), 5);
  });

  void test('since keeps later samples only', () => {
    const s = new ReleaseStats('v1');
    for (let i = 0; i < 10; i++) s.record(200, 1, 1000 + i);
    assert.deepEqual(s.snapshot(1007).samples.t, [1007, 1008, 1009]);
  });

  void test('the ring keeps the last RING_SIZE samples while counts keep everything', () => {
    const s = new ReleaseStats('v1');
    const n = RING_SIZE + 25;
    for (let i = 0; i < n; i++) s.record(200, 1, i);
    const snap = s.snapshot();
    assert.equal(snap.requests.total, n);
    assert.equal(snap.samples.t.length, RING_SIZE);
    assert.equal(snap.samples.t[0], 25);
    assert.equal(snap.samples.t.at(-1), n - 1);
  });

  void test('export and import carry counts and samples over', () => {
    const s = new ReleaseStats('v2');
    for (let i = 0; i < 30; i++) s.record(i % 3 === 0 ? 500 : 200, i, 5000 + i);
    s.upstreamErrors = 4;
    const copy = ReleaseStats.import(JSON.parse(JSON.stringify(s.export())) as ReturnType<ReleaseStats['export']>);
    assert.deepEqual(copy.snapshot(), s.snapshot());
    assert.deepEqual(copy.buckets, s.buckets);
  });
});

void describe('EnvStats.prune', () => {
  void test('forgets the oldest unrouted, idle releases beyond the cap', () => {
    const e = new EnvStats();
    for (let i = 0; i < MAX_RELEASES_KEPT + 3; i++) e.of(`r${i}`);
    e.of('r1').inflight = 1;
    e.prune(new Set(['r0']));
    assert.equal(e.releases.size, MAX_RELEASES_KEPT);
    assert.ok(e.releases.has('r0'), 'routed release kept');
    assert.ok(e.releases.has('r1'), 'release with requests in flight kept');
    assert.ok(!e.releases.has('r2'));
  });
});

void describe('renderPrometheus', () => {
  void test('writes HELP/TYPE once per family and cumulative buckets ending at +Inf = count', () => {
    const e = new EnvStats();
    const s = e.of('v"1');
    s.record(200, 0.5, 1);
    s.record(200, 4, 2);
    s.record(503, 40, 3);
    e.unrouted = 2;
    const text = renderPrometheus(new Map([['prod', e]]));
    for (const family of ['requests_total', 'request_duration_seconds', 'inflight_requests', 'upstream_errors_total']) {
      assert.equal(text.split('\n').filter((l) => l.startsWith(`# TYPE slipway_proxy_${family} `)).length, 1, family);
      assert.equal(text.split('\n').filter((l) => l.startsWith(`# HELP slipway_proxy_${family} `)).length, 1, family);
    }
    assert.match(text, /slipway_proxy_requests_total\{env="prod",release="v\\"1",code="2xx"\} 2\n/);
    assert.match(text, /slipway_proxy_requests_total\{env="prod",release="v\\"1",code="5xx"\} 1\n/);
    assert.match(text, /_bucket\{env="prod",release="v\\"1",le="0.001"\} 1\n/);
    assert.match(text, /_bucket\{env="prod",release="v\\"1",le="0.005"\} 2\n/);
    assert.match(text, /_bucket\{env="prod",release="v\\"1",le="\+Inf"\} 3\n/);
    assert.match(text, /_count\{env="prod",release="v\\"1"\} 3\n/);
    assert.match(text, /_sum\{env="prod",release="v\\"1"\} 0.0445\n/);
    assert.match(text, /slipway_proxy_unrouted_requests_total\{env="prod"\} 2\n/);
    const values = [...text.matchAll(/_bucket\{[^}]*\} (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(values, [...values].sort((a, b) => a - b), 'buckets are cumulative');
    assert.ok(text.endsWith('\n'));
  });

  void test('the routes of a server’s apps (app.env) are labelled by app and environment; a local mode’s have no app label', () => {
    const shop = new EnvStats();
    shop.of('v1').record(200, 1, 1);
    const blog = new EnvStats();
    blog.of('v1').record(500, 1, 1);
    blog.unrouted = 1;
    const local = new EnvStats();
    local.of('v1').record(200, 1, 1);
    const text = renderPrometheus(new Map([['shop.staging', shop], ['blog.staging', blog], ['staging', local]]));
    assert.match(text, /slipway_proxy_requests_total\{app="shop",env="staging",release="v1",code="2xx"\} 1\n/);
    assert.match(text, /slipway_proxy_requests_total\{app="blog",env="staging",release="v1",code="5xx"\} 1\n/);
    assert.match(text, /slipway_proxy_requests_total\{env="staging",release="v1",code="2xx"\} 1\n/);
    assert.match(text, /slipway_proxy_unrouted_requests_total\{app="blog",env="staging"\} 1\n/);
    assert.match(text, /slipway_proxy_inflight_requests\{app="shop",env="staging",release="v1"\} 0\n/);
    assert.doesNotMatch(text, /env="shop\.staging"/);
  });

  void test('escapes label values', () => {
    assert.equal(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  });
});
