// Checks over counted events and external readings: restarts (crashes of the release's instances),
// log_errors_per_minute (error lines in their output) and a Prometheus query's value.

import type { CheckSpec } from '../config/types.js';
import { poissonExcess, poissonShortfall } from './sequential.js';
import { FAIL_ALPHA } from './policy.js';
import { num, pValue } from './format.js';
import { holds, type Evaluation } from './requests.js';
import type { EventCount, Measurement } from './types.js';

type Threshold = Extract<CheckSpec, { kind: 'threshold' }>;
type Prometheus = Extract<CheckSpec, { kind: 'prometheus' }>;

const errorOf = (source: string, error: string, unit: Evaluation['unit']): Evaluation => ({
  status: 'error',
  unit,
  samples: 0,
  message: `${source}: measurement failed: ${error}`,
});

/**
 * restarts: counts only grow, so a ceiling crossed is a failing measurement at once; a floor not
 * reached is pending.
 */
export function evaluateRestarts(check: Threshold, m: Measurement<EventCount> | undefined): Evaluation {
  if (m === undefined) return errorOf(check.source, 'restarts were not measured', 'count');
  if (!m.ok) return errorOf(check.source, m.error, 'count');
  const { count, firstAt } = m.value;
  const base = { observed: count, threshold: check.value, unit: 'count', samples: count, ...(firstAt === undefined ? {} : { firstBadAt: firstAt }) } as const;
  if (holds(count, check.op, check.value)) return { ...base, status: 'pass', message: `${check.source} holds: ${num(count)} restarts` };
  const upper = check.op === '<' || check.op === '<=';
  return upper
    ? { ...base, status: 'fail', message: `${check.source} breached: ${num(count)} crash${count === 1 ? '' : 'es'} of the release's instances` }
    : { ...base, status: 'pending', message: `${check.source}: ${num(count)} restarts so far` };
}

/**
 * log_errors_per_minute: error lines as a Poisson rate over the elapsed time. Fails on a
 * significant excess (sequential test), passes when the observed rate is inside the threshold.
 */
export function evaluateLogErrors(check: Threshold, m: Measurement<EventCount> | undefined, elapsedMs: number): Evaluation {
  if (m === undefined) return errorOf(check.source, 'error lines were not counted', 'per_minute');
  if (!m.ok) return errorOf(check.source, m.error, 'per_minute');
  const { count, firstAt } = m.value;
  const minutes = Math.max(0, elapsedMs) / 60_000;
  const observed = minutes > 0 ? count / minutes : count > 0 ? Number.POSITIVE_INFINITY : 0;
  const upper = check.op === '<' || check.op === '<=';
  const seq = upper ? poissonExcess(count, minutes, check.value) : poissonShortfall(count, minutes, check.value);
  const base = {
    observed,
    threshold: check.value,
    unit: 'per_minute',
    samples: count,
    pValue: seq.p,
    alpha: FAIL_ALPHA,
    ...(firstAt === undefined ? {} : { firstBadAt: firstAt }),
  } as const;
  const evidence = `${num(count)} error lines in ${num(minutes)} min (${num(observed)}/min, ${pValue(seq.p)})`;
  if (seq.p <= FAIL_ALPHA) return { ...base, status: 'fail', message: `${check.source} breached: ${evidence}` };
  if (minutes > 0 && holds(observed, check.op, check.value)) {
    return { ...base, status: 'pass', message: `${check.source} holds: ${evidence}` };
  }
  return { ...base, status: 'pending', message: `${check.source}: ${evidence}; not significant yet` };
}

/** A Prometheus query's reading against its bound: each breaching reading is a failing measurement. */
export function evaluatePrometheus(check: Prometheus, m: Measurement<number> | undefined): Evaluation {
  if (m === undefined) return errorOf(check.source, 'no reading was taken for this query', 'value');
  if (!m.ok) return errorOf(check.source, m.error, 'value');
  const base = { observed: m.value, threshold: check.value, unit: 'value', samples: 1 } as const;
  return holds(m.value, check.op, check.value)
    ? { ...base, status: 'pass', message: `${check.source} holds: ${num(m.value)}` }
    : { ...base, status: 'fail', message: `${check.source} breached: ${num(m.value)}` };
}
