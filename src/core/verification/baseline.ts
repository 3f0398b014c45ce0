// `compare: baseline`: the release under test against the stable release over the same time.
// Three outcomes. Latency (Mann–Whitney U against a null shifted by the effect-size floor): fail
// when the canary's latencies divided by 1 + min_effect are still significantly larger than the
// baseline's (a slowdown beyond the floor, with confidence); pass when, so divided, they are
// significantly smaller (a slowdown of min_effect is ruled out); otherwise not enough data.
// Error rate (Fisher / two-proportion test): fail on a significant rise at least `min_effect`
// large (relative); pass when there is no sign of one with enough requests on both sides.
// The fail side runs at every look, so its level is shared among the planned looks (Bonferroni).

import type { CheckSpec } from '../config/types.js';
import { compareProportions, mannWhitneyU, median } from '../stats/index.js';
import { pValue, pct } from './format.js';
import { plannedLooks } from './policy.js';
import { isError, type Evaluation } from './requests.js';
import type { ActiveVerifySpec, Measurement, RequestSamples } from './types.js';

type Baseline = Extract<CheckSpec, { kind: 'baseline' }>;

/**
 * The stats module computes a Hodges–Lehmann estimate over every pair of values up to 4 million
 * pairs, which costs about a second at that size (and ~4 ms at 250 × 250). The comparison runs every interval, so it keeps
 * at most SMALL values a side (evenly spaced over the window) unless both sides are large enough
 * for the cheap path (more than 4 million pairs), where it keeps up to LARGE a side.
 */
const SMALL = 250;
const LARGE = 5000;
const CHEAP_PAIRS = 4_000_000;

/** Every k-th value, so that at most `max` remain, spread over the whole window. */
function thin(values: readonly number[], max: number): number[] {
  if (values.length <= max) return [...values];
  const stride = values.length / max;
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(values[Math.floor(i * stride)] as number);
  return out;
}

/** The two latency samples, bounded in size so one comparison stays in the milliseconds. */
export function boundSamples(c: readonly number[], b: readonly number[]): [number[], number[]] {
  if (c.length * b.length <= SMALL * SMALL) return [[...c], [...b]];
  const cl = Math.min(c.length, LARGE);
  const bl = Math.min(b.length, LARGE);
  if (cl * bl > CHEAP_PAIRS) return [thin(c, cl), thin(b, bl)];
  return [thin(c, SMALL), thin(b, SMALL)];
}

/** Evaluates a baseline comparison at one look. */
export function evaluateBaseline(
  check: Baseline,
  canary: Measurement<RequestSamples>,
  baseline: Measurement<RequestSamples> | undefined,
  spec: ActiveVerifySpec,
  elapsedMs: number,
): Evaluation {
  const unit = 'ratio';
  if (baseline === undefined) {
    return { status: 'skipped', unit, samples: 0, message: `${check.source}: skipped, no baseline release is taking traffic` };
  }
  const failed = (name: string, error: string): Evaluation => ({
    status: 'error',
    unit,
    samples: 0,
    message: `${check.source}: measurement of the ${name} failed: ${error}`,
  });
  if (!canary.ok) return failed('release under test', canary.error);
  if (!baseline.ok) return failed('baseline', baseline.error);
  const c = canary.value;
  const b = baseline.value;
  const nC = c.status.length;
  const nB = b.status.length;
  const alpha = 1 - check.confidence;
  const failAlpha = alpha / plannedLooks(spec);
  const base = { unit, samples: nC, threshold: check.minEffect, alpha: failAlpha } as const;
  if (nC < spec.minSamples || nB < spec.minSamples || nC === 0 || nB === 0) {
    return {
      ...base,
      status: 'pending',
      message: `${check.source}: not enough data (${nC} requests of the release under test, ${nB} of the baseline; ${spec.minSamples} each needed)`,
    };
  }
  const windowDone = elapsedMs >= spec.windowMs;
  return check.metric === 'latency'
    ? latency(check, c, b, alpha, failAlpha, base, windowDone)
    : errorRate(check, c, b, alpha, failAlpha, base);
}

type Base = Pick<Evaluation, 'unit' | 'samples' | 'threshold' | 'alpha'>;

function latency(
  check: Baseline,
  c: RequestSamples,
  b: RequestSamples,
  alpha: number,
  failAlpha: number,
  base: Base,
  windowDone: boolean,
): Evaluation {
  const [x, y] = boundSamples(c.ms, b.ms);
  const reference = Math.max(median(y), 1e-3);
  const scaled = x.map((v) => v / (1 + check.minEffect));
  const worse = mannWhitneyU(scaled, y, { alternative: 'greater' });
  const observed = median(x) / reference - 1;
  const said = `median ${observed >= 0 ? '+' : ''}${pct(observed)} vs baseline (${pValue(worse.p)} for more than +${pct(check.minEffect)}, ${x.length} vs ${y.length} values)`;
  const common = { ...base, observed, pValue: worse.p };
  if (worse.p < failAlpha) {
    return { ...common, status: 'fail', message: `${check.source} breached: slower than the baseline: ${said}` };
  }
  // A pass only counts once the window is over: the second test waits for it, to halve the cost.
  if (!windowDone) return { ...common, status: 'pending', message: `${check.source}: no significant slowdown so far: ${said}` };
  const noWorse = mannWhitneyU(scaled, y, { alternative: 'less' });
  if (noWorse.p < alpha) {
    return { ...common, status: 'pass', message: `${check.source} holds: no slowdown of ${pct(check.minEffect)} or more: ${said}` };
  }
  return {
    ...common,
    status: 'pending',
    message: `${check.source}: not enough data to rule out a slowdown of ${pct(check.minEffect)}: ${said}`,
  };
}

function errorRate(check: Baseline, c: RequestSamples, b: RequestSamples, alpha: number, failAlpha: number, base: Base): Evaluation {
  const kC = c.status.filter(isError).length;
  const kB = b.status.filter(isError).length;
  const nC = c.status.length;
  const nB = b.status.length;
  const test = compareProportions({ events: kC, trials: nC }, { events: kB, trials: nB }, { alternative: 'greater' });
  // Relative rise with half-an-event smoothing, so that 0 errors on the baseline is not a division by zero.
  const rise = (kC + 0.5) / (nC + 1) / ((kB + 0.5) / (nB + 1)) - 1;
  const firstBadAt = c.t.find((_, i) => isError(c.status[i] ?? 0));
  const said = `${pct(kC / nC)} errors vs ${pct(kB / nB)} on the baseline (${kC}/${nC} vs ${kB}/${nB}, ${pValue(test.p)})`;
  const common = { ...base, observed: rise, pValue: test.p, ...(firstBadAt === undefined ? {} : { firstBadAt }) };
  if (test.p < failAlpha && rise >= check.minEffect) {
    return { ...common, status: 'fail', message: `${check.source} breached: more errors than the baseline: ${said}` };
  }
  if (test.p >= alpha || rise < check.minEffect) return { ...common, status: 'pass', message: `${check.source} holds: ${said}` };
  return { ...common, status: 'pending', message: `${check.source}: a rise is possible but not yet significant: ${said}` };
}
