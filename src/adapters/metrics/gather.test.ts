// gatherMeasurements: one look's input from fake providers, asking each only for what the spec needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatherMeasurements } from './gather.js';
import { spec } from '../../core/verification/test-helpers.js';
import { step, initialState } from '../../core/verification/index.js';
import type { CheckSpec } from '../../config/types.js';
import type { EventCounter, QueryProvider, RequestsProvider } from '../../ports/metrics.js';

const samples = { t: [1], ms: [5], status: [200] };
const asked: string[] = [];
const requests: RequestsProvider = {
  requests: (env, releases, since) => {
    asked.push(`requests ${env} ${releases.join(',')} ${since}`);
    return Promise.resolve(Object.fromEntries(releases.map((r) => [r, { ok: true, value: samples }])));
  },
};
const prometheus: QueryProvider = {
  query: (q, vars) => {
    asked.push(`query ${q} ${vars.release} ${vars.env} ${vars.digest}`);
    return Promise.resolve({ ok: true, value: 0.5 });
  },
};
const counter = (count: number): EventCounter => ({ count: () => Promise.resolve({ ok: true, value: { count } }), cursor: () => ({}), close: () => undefined });
const prom: CheckSpec = { kind: 'prometheus', query: 'q{r="{{release}}"}', op: '<', value: 1, source: 'prometheus: q < 1' };
const baseline: CheckSpec = { kind: 'baseline', metric: 'latency', minEffect: 0.1, confidence: 0.95, source: 'compare: baseline (latency)' };
const logs: CheckSpec = { kind: 'threshold', metric: 'log_errors_per_minute', op: '<', value: 5, source: 'log_errors_per_minute < 5' };
const target = { env: 'production', release: { label: 'v3', digest: 'sha256:ab' }, baseline: { label: 'v2' }, since: 1000 };

test('asks for the baseline, each query once, and error lines only when the spec has those checks', async () => {
  asked.length = 0;
  const s = spec({ checks: [...spec().checks, prom, prom, baseline, logs] });
  const input = await gatherMeasurements(s, target, { requests, prometheus, crashes: counter(1), logErrors: counter(2) });
  assert.deepEqual(asked, ['requests production v3,v2 1000', 'query q{r="{{release}}"} v3 production sha256:ab']);
  assert.deepEqual(input, {
    canary: { requests: { ok: true, value: samples }, restarts: { ok: true, value: { count: 1 } }, logErrors: { ok: true, value: { count: 2 } } },
    baseline: { ok: true, value: samples },
    prometheus: { 'q{r="{{release}}"}': { ok: true, value: 0.5 } },
  });
  // The result is a valid step input.
  assert.equal(step(initialState(), { spec: s, elapsedMs: 1000, ...input }).decision.kind, 'continue');
});

test('without those checks: no baseline, no logs; a Prometheus check without a provider is a measurement in error', async () => {
  asked.length = 0;
  const plain = await gatherMeasurements(spec(), target, { requests, logErrors: counter(2) });
  assert.deepEqual(asked, ['requests production v3 1000']);
  assert.deepEqual(Object.keys(plain), ['canary']);
  assert.deepEqual(Object.keys(plain.canary), ['requests']);
  const noProm = await gatherMeasurements(spec({ checks: [prom] }), target, { requests });
  assert.deepEqual(noProm.prometheus, { 'q{r="{{release}}"}': { ok: false, error: 'no Prometheus is configured' } });
});
