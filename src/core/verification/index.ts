// Verification analysis (pure): a reducer over interval measurements that decides whether a
// release passes, fails or needs more evidence, with the evidence. See docs/verification.md.

export { initialState, step } from './analysis.js';
export { identifyChecks, IMPLICIT_RESTARTS } from './evaluate.js';
export { isError } from './requests.js';
export { requestSeries, MAX_POINTS, type SeriesPoint } from './series.js';
export { substituteQuery, unknownPlaceholders, QUERY_PLACEHOLDERS, type QueryPlaceholder } from './promql.js';
export { binomialExcess, poissonExcess, poissonShortfall, type SequentialResult } from './sequential.js';
export {
  FAIL_ALPHA,
  MIN_SAMPLES_TO_FAIL,
  CONSECUTIVE_ERROR_LIMIT,
  MAX_WINDOWS,
  PROBE_MAX_PER_INTERVAL,
  maxWindows,
  plannedLooks,
} from './policy.js';
export {
  isTerminal,
  type ActiveVerifySpec,
  type CheckReport,
  type CheckState,
  type CheckStatus,
  type Decision,
  type DecisionKind,
  type EventCount,
  type Measurement,
  type ReleaseMeasurements,
  type RequestSamples,
  type StepInput,
  type StepResult,
  type VerificationReport,
  type VerificationState,
} from './types.js';
