// The fixed parameters of the analysis, in one place, with the reason for each value. Documented
// in docs/verification.md; the engine may show them but does not change them.

import type { ActiveVerifySpec } from './types.js';

/**
 * Significance level of the sequential threshold tests (error rate, latency share, log errors).
 * Strict on purpose: a rollback is costly and looks are repeated every interval (the mixture test
 * keeps the level valid across looks). At 0.001 a healthy release is almost never failed, while a
 * total failure is still certain after a handful of requests.
 */
export const FAIL_ALPHA = 0.001;

/**
 * Fewest requests a request-based check fails on (or `min_samples` when smaller): a few errors
 * in a row right after cutover are certain evidence statistically, but bursts are not independent.
 * With the default failure_limit of 0 (Argo Rollouts' default: every breach is already significant
 * at FAIL_ALPHA) a total failure fails on the first look that has ~10 requests.
 */
export const MIN_SAMPLES_TO_FAIL = 10;

/**
 * Measurements in error in a row tolerated per check; one more fails the verification (Argo
 * Rollouts' `consecutiveErrorLimit` default). A provider blip never fails a deploy; a dead one does.
 */
export const CONSECUTIVE_ERROR_LIMIT = 4;

/** Most windows a verification runs when the policy is `extend` or `probe`; then it fails as inconclusive. */
export const MAX_WINDOWS = 3;

/** Most synthetic requests asked for per interval under the `probe` policy. */
export const PROBE_MAX_PER_INTERVAL = 50;

/** Windows the verification may run, given its inconclusive policy. */
export const maxWindows = (spec: ActiveVerifySpec): number => (spec.inconclusive === 'fail' ? 1 : MAX_WINDOWS);

/** Looks at most: every interval of every window the policy allows. */
export function plannedLooks(spec: ActiveVerifySpec): number {
  const perWindow = Math.max(1, Math.ceil(spec.windowMs / Math.max(1, spec.intervalMs)));
  return perWindow * maxWindows(spec);
}

/** Samples a request-based check needs before it may fail. */
export const failFloor = (spec: ActiveVerifySpec): number => Math.max(1, Math.min(spec.minSamples, MIN_SAMPLES_TO_FAIL));
