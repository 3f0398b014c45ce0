// The chart's series of a verification window, from hand-made samples.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_POINTS, requestSeries } from './series.js';

const T0 = Date.UTC(2030, 0, 1);

describe('requestSeries', () => {
  test('cuts the window into interval buckets with counts, error rates and percentiles', () => {
    const samples = { t: [T0 + 10, T0 + 20, T0 + 300, T0 + 310, T0 + 320, T0 + 700], ms: [10, 30, 100, 200, 300, 5], status: [200, 500, 200, 0, 503, 200] };
    const s = requestSeries(samples, T0, 250);
    assert.deepEqual(s.map((p) => [p.at - T0, p.requests, p.errors]), [[0, 2, 1], [250, 3, 2], [500, 1, 0]]);
    assert.equal(s[0]?.errorRate, 0.5);
    assert.equal(s[1]?.p50Ms, 200);
    assert.equal(s[2]?.requests, 1, 'the sample at +700 ms is in the third bucket');
    assert.equal(s[2]?.errorRate, 0);
  });

  test('a bucket without requests has no rate and no latency; `until` extends the window', () => {
    const s = requestSeries({ t: [T0 + 5], ms: [7], status: [200] }, T0, 100, T0 + 450);
    assert.equal(s.length, 5);
    assert.deepEqual(s[3], { at: T0 + 300, requests: 0, errors: 0, errorRate: null, p50Ms: null, p95Ms: null, p99Ms: null });
  });

  test('samples before the window are left out; no samples is one empty bucket', () => {
    assert.deepEqual(requestSeries({ t: [T0 - 1], ms: [1], status: [500] }, T0, 100).map((p) => p.requests), [0]);
    assert.deepEqual(requestSeries({ t: [], ms: [], status: [] }, T0, 100).length, 1);
  });

  test('a long window gets wider buckets, never more than MAX_POINTS', () => {
    const t = Array.from({ length: 5000 }, (_, i) => T0 + i * 1000);
    const s = requestSeries({ t, ms: t.map(() => 1), status: t.map(() => 200) }, T0, 100);
    assert.ok(s.length <= MAX_POINTS, String(s.length));
    assert.equal(s.reduce((n, p) => n + p.requests, 0), 5000, 'every sample is in a bucket');
  });
});
