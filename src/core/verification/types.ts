// The data of a verification: what the engine measures each interval (input), what the analysis
// remembers between intervals (state, plain JSON), and what it answers (decision and report).

import type { CheckSpec, VerifySpec } from '../config/types.js';

/** A verification that is switched on: the only kind the analysis runs. */
export type ActiveVerifySpec = Extract<VerifySpec, { enabled: true }>;

/**
 * One provider reading. A provider that failed (Prometheus unreachable, a query with no series)
 * gives `{ ok: false, error }`: a measurement in error, counted against its check's
 * consecutive-error limit, never an exception.
 */
export type Measurement<T> = { ok: true; value: T } | { ok: false; error: string };

/** Raw request samples of one release, column by column, as the proxy records them. */
export interface RequestSamples {
  /** Completion time, ms since the epoch. */
  t: number[];
  /** Latency in ms. */
  ms: number[];
  /** HTTP status; 5xx (and anything below 100, e.g. 0 for a cut connection) is an error. */
  status: number[];
}

/** A count of discrete events (crashes, error lines) with the time of the first one. */
export interface EventCount {
  count: number;
  /** ms since the epoch of the first event, when known. */
  firstAt?: number;
}

/** What was measured of one release since the window began (cumulative, not just this interval). */
export interface ReleaseMeasurements {
  requests: Measurement<RequestSamples>;
  /** Crashes and restarts of the release's instances; absent when not measured. */
  restarts?: Measurement<EventCount>;
  /** Error lines in the instances' output; absent when not measured. */
  logErrors?: Measurement<EventCount>;
}

/** The input of one analysis step, taken once per interval. */
export interface StepInput {
  spec: ActiveVerifySpec;
  /** ms since the window began (the engine's clock, never read here). */
  elapsedMs: number;
  /** The release under test. */
  canary: ReleaseMeasurements;
  /**
   * The stable release's requests over the same time, for `compare: baseline`. Absent when there
   * is no baseline taking traffic (a first deploy, blue-green): the comparison is then skipped.
   */
  baseline?: Measurement<RequestSamples>;
  /** Prometheus readings keyed by the check's `query` as written (before substitution). */
  prometheus?: Record<string, Measurement<number>>;
}

/** Where one check stands at one look. */
export type CheckStatus =
  /** Evidence enough that the check holds. */
  | 'pass'
  /** A failing measurement: the check is breached (counted against failure_limit). */
  | 'fail'
  /** Not enough data yet to say either way. */
  | 'pending'
  /** The measurement itself failed (counted against the consecutive-error limit). */
  | 'error'
  /** Does not apply here (e.g. a baseline comparison with no baseline). Never blocks a pass. */
  | 'skipped';

/** The evidence of one check at the latest look. */
export interface CheckReport {
  /** Position in the spec, e.g. `checks[0]`, or `implicit:restarts` for the built-in crash check. */
  id: string;
  /** The check as written, e.g. `error_rate < 1%`. */
  source: string;
  status: CheckStatus;
  /** What was observed: a fraction for rates, ms for latencies, a count, per minute, or a value. */
  observed?: number;
  threshold?: number;
  unit: 'fraction' | 'ms' | 'count' | 'per_minute' | 'value' | 'ratio';
  /** Samples (requests, events or readings) the verdict rests on. */
  samples: number;
  /**
   * Evidence against the check holding: an always-valid p-value for the sequential threshold
   * tests, the one-sided test's p-value for a baseline comparison. Small means strong evidence.
   */
  pValue?: number;
  /** The significance level the p-value was compared with. */
  alpha?: number;
  /** Failing measurements so far; the check fails when this exceeds failure_limit. */
  failures: number;
  /** Measurements in error in a row; the check fails when this exceeds the consecutive-error limit. */
  consecutiveErrors: number;
  /** ms since the epoch of the first bad sample (an error, a slow request, a crash, an error line). */
  firstBadAt?: number;
  /** One line a person can read. */
  message: string;
}

/** What the engine does after a step. */
export type Decision =
  /** Keep measuring; send `probe` synthetic requests per interval when set. */
  | { kind: 'continue'; probe?: number }
  /**
   * The window has passed without enough evidence to pass or fail; the policy (extend or probe)
   * keeps measuring up to `maxWindows` windows. Not terminal: call `step` again next interval.
   */
  | { kind: 'inconclusive'; action: 'extend' | 'probe'; probe?: number; windowsUsed: number; maxWindows: number; message: string }
  /** Terminal: every check passed over the window with enough samples. */
  | { kind: 'pass'; message: string }
  /**
   * Terminal. `reason` says why: a breached `check`, measurements in `error` too many times in a
   * row, or `inconclusive` (too little evidence by the end, with the policy `fail` or the cap reached).
   */
  | { kind: 'fail'; reason: 'check' | 'error' | 'inconclusive'; check?: string; message: string };

export type DecisionKind = Decision['kind'];

/** True for `pass` and `fail`: the verification is over. */
export const isTerminal = (d: Decision): d is Extract<Decision, { kind: 'pass' | 'fail' }> =>
  d.kind === 'pass' || d.kind === 'fail';

/** Counters one check keeps between looks. */
export interface CheckState {
  failures: number;
  consecutiveErrors: number;
  firstBadAt?: number;
}

/**
 * Everything the analysis remembers between looks: plain JSON, persisted by the engine after each
 * step so that a verification survives a restart of the control plane.
 */
export interface VerificationState {
  version: 1;
  /** Looks taken so far. */
  looks: number;
  /** `elapsedMs` of the last look; a repeated look (same or earlier time) changes no counter. */
  lastElapsedMs: number;
  checks: Record<string, CheckState>;
  /** Set once a window has passed without a verdict: requests the current extension aims at. */
  extension?: { window: number; target: number };
  /** The terminal decision once taken; later steps return it unchanged. */
  final?: Decision;
}

/** The evidence after a step, for the deployment record, `slipway logs` and the dashboard. */
export interface VerificationReport {
  elapsedMs: number;
  windowMs: number;
  /** Windows begun so far (1 during the first window; more when extended). */
  windowsUsed: number;
  maxWindows: number;
  /** Requests of the release under test counted so far. */
  requests: number;
  minSamples: number;
  decision: DecisionKind;
  checks: CheckReport[];
  /** One line: the verdict and its main evidence. */
  summary: string;
}

export interface StepResult {
  state: VerificationState;
  decision: Decision;
  report: VerificationReport;
}

/** A check of the spec together with the id it is reported under. */
export interface IdentifiedCheck {
  id: string;
  check: CheckSpec;
}
