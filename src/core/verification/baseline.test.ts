// `compare: baseline` over seeded traffic: a slower or more failing canary fails, an equal one
// passes with enough data, too little data is "not enough data", no baseline is skipped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckSpec } from '../config/types.js';
import { boundSamples, evaluateBaseline } from './baseline.js';
import { addRequests, emptySamples, prng, simulate, spec, type Traffic } from './test-helpers.js';

const latencyCheck: CheckSpec = { kind: 'baseline', metric: 'latency', minEffect: 0.1, confidence: 0.95, source: 'compare: baseline (latency)' };
const errorCheck: CheckSpec = { kind: 'baseline', metric: 'error_rate', minEffect: 0.1, confidence: 0.95, source: 'compare: baseline (error_rate)' };
const stable: Traffic = { rps: 90, errorRate: 0.001, medianMs: 50, sigma: 0.3 };
const canary: Traffic = { ...stable, rps: 10 };
const only = (check: CheckSpec) => spec({ checks: [check] });

describe('compare: baseline (latency)', () => {
  test('a canary 40 % slower than the baseline fails, with the shift in the evidence', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = simulate(only(latencyCheck), { ...canary, medianMs: 70 }, { seed, baseline: stable });
      assert.equal(r.final.kind === 'fail' && r.final.check, 'compare: baseline (latency)', `seed ${seed}: ${JSON.stringify(r.final)}`);
      assert.match(r.final.kind === 'fail' ? r.final.message : '', /slower than the baseline: median \+\d+(\.\d+)?% vs baseline/);
      assert.ok(r.elapsedMs < 30_000, 'caught before the window ends');
    }
  });

  test('a canary like the baseline passes at the end of the window', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = simulate(only(latencyCheck), canary, { seed, baseline: stable });
      assert.equal(r.final.kind, 'pass', `seed ${seed}: ${JSON.stringify(r.final)}`);
    }
  });

  test('a shift smaller than min_effect never fails, even when it is significant', () => {
    let fails = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = simulate(only(latencyCheck), { ...canary, rps: 90, medianMs: 52 }, { seed, baseline: stable });
      if (r.final.kind === 'fail') fails++;
    }
    assert.equal(fails, 0);
  });

  test('equal releases are never failed over 100 windows (the looks share the confidence)', () => {
    // At a 5 % level per look and 10 looks a window, a naive test would fail several of these.
    let fails = 0;
    for (let seed = 100; seed < 200; seed++) {
      const s = { ...only(latencyCheck), intervalMs: 3000 };
      if (simulate(s, canary, { seed, baseline: stable }).final.kind === 'fail') fails++;
    }
    assert.equal(fails, 0, `${fails} of 100`);
  });

  test('too little data is "not enough data", which never passes', () => {
    const r = simulate(only(latencyCheck), { ...canary, rps: 0.3 }, { seed: 1, baseline: stable });
    assert.equal(r.final.kind === 'fail' && r.final.reason, 'inconclusive');
    assert.match(r.final.kind === 'fail' ? r.final.message : '', /not enough data/);
  });

  test('without a baseline release the comparison is skipped, and the other checks decide', () => {
    const r = simulate(spec({ checks: [...spec().checks, latencyCheck] }), canary, { seed: 1 });
    assert.equal(r.final.kind, 'pass');
    const check = r.results.at(-1)?.report.checks.find((c) => c.source === latencyCheck.source);
    assert.equal(check?.status, 'skipped');
  });

  test('a baseline measurement in error is a measurement in error', () => {
    const s = only(latencyCheck);
    const c = emptySamples();
    addRequests(c, canary, 50, 0, 1000, prng(1));
    const ev = evaluateBaseline(latencyCheck, { ok: true, value: c }, { ok: false, error: 'no such release' }, s, 1000);
    assert.equal(ev.status, 'error');
    assert.match(ev.message, /measurement of the baseline failed: no such release/);
  });

  test('large samples are thinned evenly, keeping both ends of the window', () => {
    const big = Array.from({ length: 3000 }, (_, i) => i);
    const [x, y] = boundSamples(big, big);
    assert.equal(x.length, 3000, 'large enough on both sides for the cheap path');
    const [a, b] = boundSamples(big.slice(0, 1000), big.slice(0, 1000));
    assert.equal(a.length, 250);
    assert.equal(b[0], 0);
    assert.ok((a.at(-1) ?? 0) >= 990);
    assert.equal(y.length, 3000);
  });
});

describe('compare: baseline (error_rate)', () => {
  test('a canary failing 5 % against a baseline at 0.1 % fails', () => {
    const r = simulate(only(errorCheck), { ...canary, rps: 30, errorRate: 0.05 }, { seed: 2, baseline: stable });
    assert.equal(r.final.kind === 'fail' && r.final.check, 'compare: baseline (error_rate)');
    assert.match(r.final.kind === 'fail' ? r.final.message : '', /more errors than the baseline/);
  });

  test('equal error rates pass', () => {
    for (const seed of [1, 2, 3]) {
      const r = simulate(only(errorCheck), canary, { seed, baseline: stable });
      assert.equal(r.final.kind, 'pass', `seed ${seed}: ${JSON.stringify(r.final)}`);
    }
  });
});
