// The verification reducer: called once per interval with everything measured since the window
// began, it updates the per-check counters and decides continue / inconclusive / pass / fail.
// Pure: no I/O and no clock; the state is plain JSON that the engine persists after every step,
// so a verification resumes after a restart of the control plane exactly where it was.

import { duration, num } from './format.js';
import { CONSECUTIVE_ERROR_LIMIT, PROBE_MAX_PER_INTERVAL, maxWindows } from './policy.js';
import { evaluateCheck, identifyChecks } from './evaluate.js';
import type { Evaluation } from './requests.js';
import type {
  ActiveVerifySpec,
  CheckReport,
  CheckState,
  Decision,
  StepInput,
  StepResult,
  VerificationReport,
  VerificationState,
} from './types.js';

/** The state before the first look. */
export function initialState(): VerificationState {
  return { version: 1, looks: 0, lastElapsedMs: -1, checks: {} };
}

/**
 * One look at the measurements. Call it once per interval with the measurements gathered since
 * the window began (cumulative), persist `state`, act on `decision`. Calling it again for the same
 * `elapsedMs` (after a restart, say) recomputes the report without counting the look twice. Once a
 * terminal decision is taken, every later call returns it unchanged.
 *
 * @example
 *   let state = initialState();
 *   const r = step(state, { spec, elapsedMs: 5_000, canary: { requests: { ok: true, value: samples } } });
 *   state = r.state; // persist; then continue, probe, roll back or succeed by r.decision
 */
export function step(prev: VerificationState, input: StepInput): StepResult {
  const { spec, elapsedMs } = input;
  const newLook = elapsedMs > prev.lastElapsedMs;
  const checks = identifyChecks(spec);
  const reports: CheckReport[] = [];
  const counters: Record<string, CheckState> = {};
  for (const c of checks) {
    const ev = evaluateCheck(c, input);
    const before = prev.checks[c.id] ?? { failures: 0, consecutiveErrors: 0 };
    const after = newLook ? advance(before, ev) : before;
    counters[c.id] = after;
    const { firstBadAt: _unused, ...rest } = ev;
    reports.push({
      id: c.id,
      source: c.check.source,
      ...rest,
      failures: after.failures,
      consecutiveErrors: after.consecutiveErrors,
      ...(after.firstBadAt === undefined ? {} : { firstBadAt: after.firstBadAt }),
    });
  }
  const requests = input.canary.requests.ok ? input.canary.requests.value.status.length : 0;
  const extension = extensionOf(prev, spec, elapsedMs, requests, reports);
  const decision = prev.final ?? decide(spec, elapsedMs, requests, reports, extension);
  const state: VerificationState = {
    version: 1,
    looks: prev.looks + (newLook ? 1 : 0),
    lastElapsedMs: Math.max(prev.lastElapsedMs, elapsedMs),
    checks: counters,
    ...(extension ? { extension } : {}),
    ...(decision.kind === 'pass' || decision.kind === 'fail' ? { final: decision } : {}),
  };
  return { state, decision, report: report(spec, elapsedMs, requests, reports, decision) };
}

function advance(before: CheckState, ev: Evaluation): CheckState {
  const firstBadAt =
    before.firstBadAt === undefined ? ev.firstBadAt : ev.firstBadAt === undefined ? before.firstBadAt : Math.min(before.firstBadAt, ev.firstBadAt);
  return {
    failures: before.failures + (ev.status === 'fail' ? 1 : 0),
    consecutiveErrors: ev.status === 'error' ? before.consecutiveErrors + 1 : 0,
    ...(firstBadAt === undefined ? {} : { firstBadAt }),
  };
}

/**
 * Once a window has passed without a verdict, the next one aims at twice the requests seen so far,
 * so that an ambiguous rate gets the data that can settle it. Fixed at the window's first look.
 */
function extensionOf(prev: VerificationState, spec: ActiveVerifySpec, elapsedMs: number, requests: number, reports: readonly CheckReport[]): VerificationState['extension'] {
  const window = windowsUsed(spec, elapsedMs);
  if (window <= 1) return undefined;
  if (prev.extension?.window === window) return prev.extension;
  return { window, target: Math.max(requestTarget(spec), 2 * requests, ...reports.map(requestsToClear)) };
}

/**
 * Requests a pending rate check needs before its observed rate can fall within its threshold if
 * no further bad request comes: one background error in 80 requests reads 1.25 % against a 1 %
 * threshold, and only more requests can clear it (without this, healthy releases with a stray
 * error ran out of windows and failed as inconclusive).
 */
function requestsToClear(c: CheckReport): number {
  if (c.status !== 'pending' || c.unit !== 'fraction' || c.threshold === undefined || c.threshold <= 0 || c.observed === undefined) return 0;
  const bad = Math.round(c.observed * c.samples);
  return bad === 0 ? 0 : Math.floor(bad / c.threshold) + 1;
}

function decide(spec: ActiveVerifySpec, elapsedMs: number, requests: number, checks: CheckReport[], extension: VerificationState['extension']): Decision {
  const breached = checks.find((c) => c.failures > spec.failureLimit);
  if (breached) {
    const times = breached.failures === 1 ? 'once' : `${breached.failures} times`;
    return { kind: 'fail', reason: 'check', check: breached.source, message: `${breached.message} (failing ${times}; failure_limit ${spec.failureLimit})` };
  }
  const broken = checks.find((c) => c.consecutiveErrors > CONSECUTIVE_ERROR_LIMIT);
  if (broken) {
    return {
      kind: 'fail',
      reason: 'error',
      check: broken.source,
      message: `${broken.message} (${broken.consecutiveErrors} measurements in error in a row; at most ${CONSECUTIVE_ERROR_LIMIT} tolerated)`,
    };
  }
  const probe = spec.inconclusive === 'probe' ? probesNeeded(spec, elapsedMs, requests, extension?.target ?? requestTarget(spec)) : undefined;
  if (elapsedMs < spec.windowMs) return probe ? { kind: 'continue', probe } : { kind: 'continue' };
  const missing = checks.filter((c) => c.status !== 'pass' && c.status !== 'skipped');
  if (missing.length === 0 && requests >= spec.minSamples) {
    return { kind: 'pass', message: `passed after ${duration(elapsedMs)} with ${num(requests)} requests: ${checks.filter((c) => c.status === 'pass').map((c) => c.source).join(', ')}` };
  }
  const why = [
    ...(requests < spec.minSamples ? [`${num(requests)} of ${spec.minSamples} requests`] : []),
    ...missing.map((c) => c.message),
  ].join('; ');
  const cap = maxWindows(spec);
  const used = windowsUsed(spec, elapsedMs);
  if (spec.inconclusive === 'fail' || elapsedMs >= spec.windowMs * cap) {
    const after = `${duration(elapsedMs)}${cap > 1 ? ` (${cap} windows)` : ''}`;
    return { kind: 'fail', reason: 'inconclusive', message: `inconclusive after ${after}: not enough evidence to pass: ${why}` };
  }
  return {
    kind: 'inconclusive',
    action: spec.inconclusive,
    ...(probe ? { probe } : {}),
    windowsUsed: used,
    maxWindows: cap,
    message: `not enough evidence after ${duration(elapsedMs)}, ${spec.inconclusive === 'probe' ? 'probing' : 'extending'} (window ${used} of ${cap}): ${why}`,
  };
}

/** Windows begun so far: 1 during the first window, 2 once it has passed, … */
function windowsUsed(spec: ActiveVerifySpec, elapsedMs: number): number {
  return Math.max(1, Math.min(maxWindows(spec), Math.floor(elapsedMs / Math.max(1, spec.windowMs)) + 1));
}

/** Requests the first window needs: min_samples, or more when a request_count floor says so. */
function requestTarget(spec: ActiveVerifySpec): number {
  let target = spec.minSamples;
  for (const c of spec.checks) {
    if (c.kind !== 'threshold' || c.metric !== 'request_count') continue;
    if (c.op === '>') target = Math.max(target, Math.floor(c.value) + 1);
    if (c.op === '>=') target = Math.max(target, Math.ceil(c.value));
  }
  return target;
}

/**
 * Synthetic requests per interval that bring the release to `target` requests by the end of the
 * current window, counting on its traffic continuing at the rate seen so far (probes included,
 * so the ask shrinks as probes arrive).
 */
function probesNeeded(spec: ActiveVerifySpec, elapsedMs: number, requests: number, target: number): number | undefined {
  const windowEnd = spec.windowMs * windowsUsed(spec, elapsedMs);
  const left = Math.max(0, windowEnd - elapsedMs);
  const intervalsLeft = Math.max(1, Math.ceil(left / Math.max(1, spec.intervalMs)));
  const organic = elapsedMs > 0 ? (requests / elapsedMs) * left : 0;
  const need = target - requests - organic;
  if (need <= 0) return undefined;
  // A tenth more than the bare need: the rate seen so far includes earlier probes, so it overstates
  // the release's own traffic.
  return Math.min(PROBE_MAX_PER_INTERVAL, Math.ceil((need * 1.1) / intervalsLeft));
}

function report(spec: ActiveVerifySpec, elapsedMs: number, requests: number, checks: CheckReport[], decision: Decision): VerificationReport {
  let summary: string;
  switch (decision.kind) {
    case 'pass':
    case 'fail':
    case 'inconclusive':
      // A pass message already starts with "passed after …".
      summary = decision.kind === 'pass' ? decision.message : `${decision.kind === 'inconclusive' ? 'inconclusive' : 'failed'}: ${decision.message}`;
      break;
    case 'continue': {
      const failing = checks.filter((c) => c.status === 'fail' || c.status === 'error');
      const state = failing.length > 0 ? failing.map((c) => c.message).join('; ') : 'no check breached';
      summary = `verifying: ${duration(elapsedMs)} of ${duration(spec.windowMs)}, ${num(requests)} requests; ${state}`;
      break;
    }
  }
  return {
    elapsedMs,
    windowMs: spec.windowMs,
    windowsUsed: windowsUsed(spec, elapsedMs),
    maxWindows: maxWindows(spec),
    requests,
    minSamples: spec.minSamples,
    decision: decision.kind,
    checks,
    summary,
  };
}
