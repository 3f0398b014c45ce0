// Threshold checks over the raw requests of the release under test: error_rate, pNN_latency and
// request_count. Rates and percentiles fail only on significant evidence (a sequential binomial
// test of the share of bad requests), and pass only on enough requests with the point estimate
// inside the threshold; anything between is "pending", never a pass.

import type { CheckSpec } from '../config/types.js';
import { percentile } from '../stats/index.js';
import { binomialExcess } from './sequential.js';
import { FAIL_ALPHA, failFloor } from './policy.js';
import { ms as fmtMs, num, pValue, pct } from './format.js';
import type { ActiveVerifySpec, CheckReport, RequestSamples } from './types.js';

/** What one check says at one look, before the reducer adds its counters. */
export type Evaluation = Omit<CheckReport, 'id' | 'source' | 'failures' | 'consecutiveErrors'>;

type Threshold = Extract<CheckSpec, { kind: 'threshold' }>;
type Op = Threshold['op'];

/** A 5xx answer, or no HTTP answer at all (status below 100), counts as an error. */
export const isError = (status: number): boolean => status >= 500 || status < 100;

export const holds = (observed: number, op: Op, threshold: number): boolean =>
  op === '<' ? observed < threshold : op === '<=' ? observed <= threshold : op === '>' ? observed > threshold : observed >= threshold;

/**
 * Every rate or percentile check becomes "the share of bad requests stays below θ":
 * `error_rate < 1%` → bad = error, θ = 1 %; `p99_latency < 500ms` → bad = took ≥ 500 ms,
 * θ = 1 %; the lower-bound forms swap what counts as bad.
 */
interface ShareRule {
  bad: (i: number) => boolean;
  theta: number;
  /** How a bad request is described in messages. */
  badWord: string;
}

function shareRule(check: Threshold, s: RequestSamples): ShareRule {
  const { op, value } = check;
  const upper = op === '<' || op === '<=';
  if (check.metric === 'error_rate') {
    return upper
      ? { bad: (i) => isError(s.status[i] ?? 0), theta: value, badWord: 'failed' }
      : { bad: (i) => !isError(s.status[i] ?? 0), theta: 1 - value, badWord: 'succeeded' };
  }
  const q = Number(/^p(\d+)_latency$/.exec(check.metric)?.[1] ?? 'NaN') / 100;
  const t = (i: number) => s.ms[i] ?? 0;
  switch (op) {
    case '<':
      return { bad: (i) => t(i) >= value, theta: 1 - q, badWord: `took ≥ ${fmtMs(value)}` };
    case '<=':
      return { bad: (i) => t(i) > value, theta: 1 - q, badWord: `took > ${fmtMs(value)}` };
    case '>':
      return { bad: (i) => t(i) <= value, theta: q, badWord: `took ≤ ${fmtMs(value)}` };
    case '>=':
      return { bad: (i) => t(i) < value, theta: q, badWord: `took < ${fmtMs(value)}` };
  }
}

/** error_rate and pNN_latency over the cumulative samples of the window. */
export function evaluateShare(check: Threshold, s: RequestSamples, spec: ActiveVerifySpec): Evaluation {
  const n = s.status.length;
  const latency = check.metric !== 'error_rate';
  const unit = latency ? 'ms' : 'fraction';
  const base = { threshold: check.value, unit, samples: n, alpha: FAIL_ALPHA } as const;
  if (n === 0) return { ...base, status: 'pending', message: `${check.source}: no requests yet` };
  const rule = shareRule(check, s);
  let bad = 0;
  let firstBadAt: number | undefined;
  for (let i = 0; i < n; i++) {
    if (!rule.bad(i)) continue;
    bad++;
    firstBadAt ??= s.t[i];
  }
  const errors = latency ? 0 : check.op === '<' || check.op === '<=' ? bad : n - bad;
  const observed = latency ? percentile(s.ms, Number(check.metric.slice(1, -'_latency'.length))) : errors / n;
  const shown = latency ? fmtMs(observed) : pct(observed);
  const seq = binomialExcess(bad, n, rule.theta);
  const evidence = `${bad} of ${n} requests ${rule.badWord} (${pct(bad / n)}, ${pValue(seq.p)} against ${pct(rule.theta)})`;
  const common = { ...base, observed, pValue: seq.p, ...(firstBadAt === undefined ? {} : { firstBadAt }) };
  if (seq.p <= FAIL_ALPHA && n >= failFloor(spec)) {
    return { ...common, status: 'fail', message: `${check.source} breached: ${evidence}; observed ${shown}` };
  }
  if (n >= spec.minSamples && holds(observed, check.op, check.value)) {
    return { ...common, status: 'pass', message: `${check.source} holds: ${shown} over ${n} requests` };
  }
  const why = n < spec.minSamples ? `${n} of ${spec.minSamples} requests needed` : `${evidence}: not significant yet`;
  return { ...common, status: 'pending', message: `${check.source}: observed ${shown}; ${why}` };
}

/** request_count: a ceiling fails as soon as it is crossed; a floor is pending until it is reached. */
export function evaluateRequestCount(check: Threshold, n: number): Evaluation {
  const base = { observed: n, threshold: check.value, unit: 'count', samples: n } as const;
  const ok = holds(n, check.op, check.value);
  const upper = check.op === '<' || check.op === '<=';
  if (ok) return { ...base, status: 'pass', message: `${check.source} holds: ${num(n)} requests` };
  return upper
    ? { ...base, status: 'fail', message: `${check.source} breached: ${num(n)} requests` }
    : { ...base, status: 'pending', message: `${check.source}: ${num(n)} requests so far` };
}
