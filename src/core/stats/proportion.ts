// Tests for a difference between two rates (e.g. error rates of a baseline and a canary):
// Fisher's exact test for small counts, the pooled two-proportion z-test for large ones.

import type { Alternative } from './mann-whitney.js';
import { logChoose } from './gamma.js';
import { normalCdf, normalSf } from './normal.js';

/** `events` out of `trials` (e.g. 5 failed requests out of 1000). */
export interface ProportionSample {
  events: number;
  trials: number;
}

export interface ProportionTestResult {
  method: 'fisher' | 'z';
  /** Observed rates events / trials. */
  rateA: number;
  rateB: number;
  /** p-value for the alternative ('greater': a's rate is larger than b's). */
  p: number;
  /** z statistic of the z-test (absent for Fisher). */
  z?: number;
  alternative: Alternative;
}

function check(s: ProportionSample, name: string): void {
  if (!Number.isInteger(s.trials) || s.trials <= 0) {
    throw new RangeError(`sample ${name}: trials must be a positive integer, got ${s.trials}`);
  }
  if (!Number.isInteger(s.events) || s.events < 0 || s.events > s.trials) {
    throw new RangeError(`sample ${name}: events must be an integer in [0, ${s.trials}], got ${s.events}`);
  }
}

/** Checks both samples and returns the alternative asked for (two-sided by default). */
const checked = (a: ProportionSample, b: ProportionSample, opts: { alternative?: Alternative }): Alternative => {
  check(a, 'a');
  check(b, 'b');
  return opts.alternative ?? 'two-sided';
};

/**
 * Pooled two-proportion z-test. When both samples have no events (or only events), there is no
 * variance and no evidence: z = 0, p = 1.
 */
export function twoProportionZTest(
  a: ProportionSample,
  b: ProportionSample,
  opts: { alternative?: Alternative } = {},
): ProportionTestResult {
  const alternative = checked(a, b, opts);
  const rateA = a.events / a.trials;
  const rateB = b.events / b.trials;
  const pooled = (a.events + b.events) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (se === 0) return { method: 'z', rateA, rateB, z: 0, p: 1, alternative };
  const z = (rateA - rateB) / se;
  const p =
    alternative === 'greater' ? normalSf(z) : alternative === 'less' ? normalCdf(z) : Math.min(1, 2 * normalSf(Math.abs(z)));
  return { method: 'z', rateA, rateB, z, p, alternative };
}

/**
 * Fisher's exact test on the 2×2 table [[a.events, a.trials − a.events], [b.events, …]].
 * Two-sided p sums every table at most as probable as the observed one (R's convention, with a
 * relative tolerance of 1e-7 so that equal probabilities computed differently still count).
 */
export function fisherExact(
  a: ProportionSample,
  b: ProportionSample,
  opts: { alternative?: Alternative } = {},
): ProportionTestResult {
  const alternative = checked(a, b, opts);
  const row1 = a.trials;
  const col1 = a.events + b.events;
  const total = a.trials + b.trials;
  const lo = Math.max(0, row1 + col1 - total);
  const hi = Math.min(row1, col1);
  const logDenominator = logChoose(total, row1);
  const prob = (x: number): number => Math.exp(logChoose(col1, x) + logChoose(total - col1, row1 - x) - logDenominator);
  const observed = a.events;
  let p = 0;
  if (alternative === 'greater') {
    for (let x = observed; x <= hi; x++) p += prob(x);
  } else if (alternative === 'less') {
    for (let x = lo; x <= observed; x++) p += prob(x);
  } else {
    const pObs = prob(observed) * (1 + 1e-7);
    for (let x = lo; x <= hi; x++) {
      const px = prob(x);
      if (px <= pObs) p += px;
    }
  }
  return {
    method: 'fisher',
    rateA: a.events / a.trials,
    rateB: b.events / b.trials,
    p: Math.min(1, p),
    alternative,
  };
}

/**
 * Compares two rates with the test that suits the counts: Fisher's exact test when an expected
 * cell count is below 5 (Cochran's rule, where the normal approximation is poor), else the z-test.
 *
 * @example
 *   compareProportions({ events: 12, trials: 1000 }, { events: 1, trials: 1000 }, { alternative: 'greater' })
 */
export function compareProportions(
  a: ProportionSample,
  b: ProportionSample,
  opts: { alternative?: Alternative } = {},
): ProportionTestResult {
  check(a, 'a');
  check(b, 'b');
  const total = a.trials + b.trials;
  const events = a.events + b.events;
  const smallest = Math.min(a.trials, b.trials) * Math.min(events, total - events);
  return smallest / total < 5 ? fisherExact(a, b, opts) : twoProportionZTest(a, b, opts);
}
