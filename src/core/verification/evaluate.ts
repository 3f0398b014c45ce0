// Which checks a verification runs, and what each says at one look: the dispatch from a CheckSpec
// to its evaluation. A crash fails a verification even when no `restarts` check is written.

import type { CheckSpec } from '../config/types.js';
import { evaluateBaseline } from './baseline.js';
import { evaluateLogErrors, evaluatePrometheus, evaluateRestarts } from './events.js';
import { evaluateRequestCount, evaluateShare, type Evaluation } from './requests.js';
import type { ActiveVerifySpec, IdentifiedCheck, StepInput } from './types.js';

/** Id of the built-in crash check, added when the spec has no `restarts` check of its own. */
export const IMPLICIT_RESTARTS = 'implicit:restarts';

const IMPLICIT: CheckSpec = { kind: 'threshold', metric: 'restarts', op: '<', value: 1, source: 'restarts < 1 (a crash fails verification)' };

/** The spec's checks with their report ids (`checks[0]` …), plus the implicit crash check. */
export function identifyChecks(spec: ActiveVerifySpec): IdentifiedCheck[] {
  const out = spec.checks.map((check, i) => ({ id: `checks[${i}]`, check }));
  const hasRestarts = spec.checks.some((c) => c.kind === 'threshold' && c.metric === 'restarts');
  if (!hasRestarts) out.push({ id: IMPLICIT_RESTARTS, check: IMPLICIT });
  return out;
}

/** What one check says about the measurements of this look. */
export function evaluateCheck({ id, check }: IdentifiedCheck, input: StepInput): Evaluation {
  const { spec, canary } = input;
  switch (check.kind) {
    case 'baseline':
      return evaluateBaseline(check, canary.requests, input.baseline, spec, input.elapsedMs);
    case 'prometheus':
      return evaluatePrometheus(check, input.prometheus?.[check.query]);
    case 'threshold':
      break;
  }
  switch (check.metric) {
    case 'restarts':
      if (id === IMPLICIT_RESTARTS && canary.restarts === undefined) {
        return { status: 'skipped', unit: 'count', samples: 0, message: `${check.source}: crashes were not measured` };
      }
      return evaluateRestarts(check, canary.restarts);
    case 'log_errors_per_minute':
      return evaluateLogErrors(check, canary.logErrors, input.elapsedMs);
    case 'request_count':
    case 'error_rate':
    case 'p50_latency':
    case 'p90_latency':
    case 'p95_latency':
    case 'p99_latency': {
      const unit = check.metric === 'error_rate' ? 'fraction' : check.metric === 'request_count' ? 'count' : 'ms';
      if (!canary.requests.ok) {
        return { status: 'error', unit, samples: 0, message: `${check.source}: measurement failed: ${canary.requests.error}` };
      }
      const samples = canary.requests.value;
      return check.metric === 'request_count'
        ? evaluateRequestCount(check, samples.status.length)
        : evaluateShare(check, samples, spec);
    }
  }
}
