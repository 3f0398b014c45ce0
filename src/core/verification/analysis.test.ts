// The reducer's bookkeeping: provider errors against their own limit, failure_limit, restarts, log
// errors, Prometheus readings, the evidence in the report, and resuming from persisted state.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, step } from './analysis.js';
import { addRequests, emptySamples, prng, simulate, spec, type Traffic } from './test-helpers.js';
import { CONSECUTIVE_ERROR_LIMIT } from './policy.js';
import type { CheckSpec } from '../config/types.js';
import type { Measurement, RequestSamples, StepInput, VerificationState } from './types.js';

const T0 = Date.UTC(2030, 0, 1);
const healthy: Traffic = { rps: 20, errorRate: 0, medianMs: 50 };
const prom: CheckSpec = { kind: 'prometheus', query: 'up{release="{{release}}"}', op: '>', value: 0, source: 'prometheus: up > 0' };

/** Requests of a healthy release over `seconds`. */
function requests(seconds: number, traffic: Traffic = healthy, seed = 1): RequestSamples {
  const s = emptySamples();
  addRequests(s, traffic, traffic.rps * seconds, T0, T0 + seconds * 1000, prng(seed));
  return s;
}

const ok = <T>(value: T): Measurement<T> => ({ ok: true, value });

describe('measurements in error', () => {
  test(`a Prometheus check in error ${CONSECUTIVE_ERROR_LIMIT} times in a row continues; once more fails with the provider's message`, () => {
    const s = spec({ checks: [prom] });
    let state = initialState();
    for (let look = 1; look <= CONSECUTIVE_ERROR_LIMIT + 1; look++) {
      const r = step(state, {
        spec: s,
        elapsedMs: look * 1000,
        canary: { requests: ok(requests(look)) },
        prometheus: { [prom.query]: { ok: false, error: 'Prometheus at http://127.0.0.1:9 is unreachable (ECONNREFUSED)' } },
      });
      state = r.state;
      const check = r.report.checks[0];
      assert.equal(check?.status, 'error');
      assert.equal(check?.consecutiveErrors, look);
      if (look <= CONSECUTIVE_ERROR_LIMIT) assert.equal(r.decision.kind, 'continue');
      else {
        assert.equal(r.decision.kind === 'fail' && r.decision.reason, 'error');
        assert.match(r.decision.kind === 'fail' ? r.decision.message : '', /unreachable.*5 measurements in error in a row/);
      }
    }
  });

  test('a good reading resets the run of errors, so occasional errors never fail', () => {
    const s = spec({ checks: [prom] });
    const r = simulate(s, healthy, {
      seed: 1,
      extra: (look) => ({ prometheus: { [prom.query]: look % 4 === 0 ? ok(1) : { ok: false, error: 'timeout' } } }),
    });
    // Three errors in a row at most: never over the limit, so never a failure for errors.
    assert.notEqual(r.final.kind === 'fail' && r.final.reason, 'error');
    assert.ok(r.results.some((x) => x.report.checks[0]?.consecutiveErrors === 3));
    assert.ok(r.results.every((x) => (x.report.checks[0]?.consecutiveErrors ?? 0) <= 3));
  });

  test('the proxy measurement in error puts every request check in error, counted separately from failures', () => {
    const s = spec();
    const r = step(initialState(), { spec: s, elapsedMs: 1000, canary: { requests: { ok: false, error: 'proxy unreachable' } } });
    const statuses = r.report.checks.filter((c) => c.id.startsWith('checks[')).map((c) => [c.status, c.failures, c.consecutiveErrors]);
    assert.deepEqual(statuses, [
      ['error', 0, 1],
      ['error', 0, 1],
    ]);
    assert.match(r.report.checks[0]?.message ?? '', /measurement failed: proxy unreachable/);
  });

  test('a Prometheus check without any reading given is in error, not silently passing', () => {
    const r = step(initialState(), { spec: spec({ checks: [prom] }), elapsedMs: 1000, canary: { requests: ok(requests(1)) } });
    assert.equal(r.report.checks[0]?.status, 'error');
    assert.match(r.report.checks[0]?.message ?? '', /no reading was taken/);
  });
});

describe('failure_limit and the checks over events', () => {
  test('failure_limit 0 fails on the first failing measurement, 2 on the third', () => {
    const s0 = spec({ checks: [prom], failureLimit: 0 });
    const s2 = spec({ checks: [prom], failureLimit: 2 });
    const bad = () => ({ prometheus: { [prom.query]: ok(0) } });
    assert.equal(simulate(s0, healthy, { seed: 1, extra: bad }).looks, 1);
    const r = simulate(s2, healthy, { seed: 1, extra: bad });
    assert.equal(r.looks, 3);
    assert.equal(r.final.kind === 'fail' && r.final.check, 'prometheus: up > 0');
    assert.match(r.final.kind === 'fail' ? r.final.message : '', /breached: 0 \(failing 3 times; failure_limit 2\)/);
  });

  test('a crash fails the verification through the implicit restarts check, with its time', () => {
    const crashAt = T0 + 4200;
    const r = simulate(spec(), healthy, {
      seed: 1,
      extra: (_look, elapsedMs) => ({ restarts: ok(elapsedMs >= 5000 ? { count: 1, firstAt: crashAt } : { count: 0 }) }),
    });
    assert.equal(r.final.kind === 'fail' && r.final.check, 'restarts < 1 (a crash fails verification)');
    assert.equal(r.elapsedMs, 6000, 'failing at 5 s and 6 s with failure_limit 1');
    const check = r.results.at(-1)?.report.checks.find((c) => c.id === 'implicit:restarts');
    assert.equal(check?.firstBadAt, crashAt);
  });

  test('an explicit restarts < 3 tolerates one crash and replaces the implicit check', () => {
    const s = spec({ checks: [...spec().checks, { kind: 'threshold', metric: 'restarts', op: '<', value: 3, source: 'restarts < 3' }] });
    const r = simulate(s, healthy, { seed: 1, extra: () => ({ restarts: ok({ count: 1 }) }) });
    assert.equal(r.final.kind, 'pass');
    assert.ok(!r.results[0]?.report.checks.some((c) => c.id === 'implicit:restarts'));
  });

  test('log_errors_per_minute: a flood of error lines fails, a trickle passes', () => {
    const check: CheckSpec = { kind: 'threshold', metric: 'log_errors_per_minute', op: '<', value: 5, source: 'log_errors_per_minute < 5' };
    const s = spec({ checks: [check] });
    const flood = simulate(s, healthy, { seed: 1, extra: (look) => ({ logErrors: ok({ count: 50 * look, firstAt: T0 + 10 }) }) });
    assert.equal(flood.final.kind === 'fail' && flood.final.check, 'log_errors_per_minute < 5');
    assert.ok(flood.looks <= 2);
    const trickle = simulate(s, healthy, { seed: 1, extra: (look) => ({ logErrors: ok({ count: look >= 10 ? 1 : 0 }) }) });
    assert.equal(trickle.final.kind, 'pass');
    const evidence = trickle.results.at(-1)?.report.checks[0];
    assert.equal(evidence?.observed, 2, '1 line in 30 s is 2 per minute');
  });
});

describe('the evidence', () => {
  test('a failure report names the check, the observed value, the threshold, the samples, the p-value and the first bad sample', () => {
    const s = spec();
    const samples = requests(2, { ...healthy, errorRate: 1 });
    let state = initialState();
    let last;
    for (const elapsedMs of [1000, 2000]) {
      last = step(state, { spec: s, elapsedMs, canary: { requests: ok(samples) } });
      state = last.state;
    }
    assert.equal(last?.decision.kind, 'fail');
    const check = last?.report.checks[0];
    assert.equal(check?.status, 'fail');
    assert.equal(check?.observed, 1);
    assert.equal(check?.threshold, 0.01);
    assert.equal(check?.samples, 40);
    assert.ok((check?.pValue ?? 1) < 1e-6);
    assert.equal(check?.firstBadAt, samples.t[0]);
    assert.match(last?.report.summary ?? '', /^failed: error_rate < 1% breached: 40 of 40 requests failed/);
  });

  test('a pass report carries every check with its observed value', () => {
    const r = simulate(spec(), healthy, { seed: 9 });
    const report = r.results.at(-1)?.report;
    assert.equal(report?.decision, 'pass');
    assert.deepEqual(report?.checks.map((c) => [c.id, c.status]), [
      ['checks[0]', 'pass'],
      ['checks[1]', 'pass'],
      ['implicit:restarts', 'skipped'],
    ]);
    assert.match(report?.summary ?? '', /^passed after 30s with \d+ requests: error_rate < 1%, p99_latency < 500ms$/);
  });
});

describe('resuming', () => {
  test('round-tripping the state through JSON between every step gives the same decisions and reports', () => {
    const traffic: Traffic = { rps: 30, errorRate: 0.03, medianMs: 80, sigma: 0.6 };
    const s = spec({ checks: [...spec().checks, prom], inconclusive: 'probe' });
    const extra = (look: number) => ({
      prometheus: { [prom.query]: look % 3 === 0 ? ({ ok: false, error: 'timeout' } as const) : ok(1) },
      restarts: ok({ count: 0 }),
    });
    const plain = simulate(s, traffic, { seed: 5, extra });
    const persisted = simulate(s, traffic, { seed: 5, extra, persist: true });
    assert.deepEqual(persisted.results, plain.results);
    assert.deepEqual(JSON.parse(JSON.stringify(plain.state)), plain.state);
  });

  test('a look repeated after a restart (same elapsed time) counts nothing twice', () => {
    const s = spec({ checks: [prom] });
    const input: StepInput = { spec: s, elapsedMs: 3000, canary: { requests: ok(requests(3)) }, prometheus: { [prom.query]: ok(0) } };
    const first = step(initialState(), input);
    const again = step(JSON.parse(JSON.stringify(first.state)) as VerificationState, input);
    assert.equal(first.report.checks[0]?.failures, 1);
    assert.equal(again.report.checks[0]?.failures, 1);
    assert.equal(again.state.looks, 1);
    assert.equal(again.decision.kind, 'continue');
  });

  test('a terminal decision stays terminal, whatever comes next', () => {
    const s = spec({ checks: [prom], failureLimit: 0 });
    const failed = step(initialState(), { spec: s, elapsedMs: 1000, canary: { requests: ok(requests(1)) }, prometheus: { [prom.query]: ok(0) } });
    assert.equal(failed.decision.kind, 'fail');
    const later = step(failed.state, { spec: s, elapsedMs: 40_000, canary: { requests: ok(requests(40)) }, prometheus: { [prom.query]: ok(5) } });
    assert.deepEqual(later.decision, failed.decision);
  });
});
