// One look's measurements from the providers, shaped as the analysis' StepInput: the release's
// requests (and the baseline's, when a comparison needs them), every Prometheus query of the spec,
// crashes and error lines. Providers run in parallel; none of them throws.

import type { ActiveVerifySpec, Measurement, StepInput } from '../../core/verification/types.js';
import type { EventCounter, QueryProvider, RequestsProvider } from '../../ports/metrics.js';

export interface GatherTarget {
  /** The app on a server (what `{{app}}` becomes); empty in local mode. */
  app?: string;
  env: string;
  /** The release under test: its proxy label (`v3`) and digest. */
  release: { label: string; digest: string };
  /** The stable release taking traffic beside it (a canary step), if any. */
  baseline?: { label: string };
  /** ms since the epoch when the window began. */
  since: number;
}

export interface GatherProviders {
  requests: RequestsProvider;
  prometheus?: QueryProvider;
  crashes?: EventCounter;
  logErrors?: EventCounter;
}

/** The measurements of one look; add `spec` and `elapsedMs` to make the step's input. */
export async function gatherMeasurements(spec: ActiveVerifySpec, target: GatherTarget, providers: GatherProviders): Promise<Omit<StepInput, 'spec' | 'elapsedMs'>> {
  const wantsBaseline = target.baseline !== undefined && spec.checks.some((c) => c.kind === 'baseline');
  const wantsLogs = spec.checks.some((c) => c.kind === 'threshold' && c.metric === 'log_errors_per_minute');
  const labels = wantsBaseline && target.baseline ? [target.release.label, target.baseline.label] : [target.release.label];
  const queries = [...new Set(spec.checks.flatMap((c) => (c.kind === 'prometheus' ? [c.query] : [])))];
  const vars = { app: target.app ?? '', release: target.release.label, env: target.env, digest: target.release.digest };
  const notMeasured = (what: string): Measurement<never> => ({ ok: false, error: what });

  const [requests, readings, crashes, logErrors] = await Promise.all([
    providers.requests.requests(target.env, labels, target.since),
    Promise.all(queries.map((q) => (providers.prometheus ? providers.prometheus.query(q, vars) : Promise.resolve(notMeasured('no Prometheus is configured'))))),
    providers.crashes?.count(),
    wantsLogs ? (providers.logErrors?.count() ?? Promise.resolve(notMeasured('error lines are not counted here'))) : undefined,
  ]);
  const missing = (label: string): Measurement<never> => notMeasured(`no measurement of ${label}`);
  const baselineLabel = wantsBaseline ? target.baseline?.label : undefined;
  return {
    canary: {
      requests: requests[target.release.label] ?? missing(target.release.label),
      ...(crashes === undefined ? {} : { restarts: crashes }),
      ...(logErrors === undefined ? {} : { logErrors }),
    },
    ...(baselineLabel === undefined ? {} : { baseline: requests[baselineLabel] ?? missing(baselineLabel) }),
    ...(queries.length === 0 ? {} : { prometheus: Object.fromEntries(queries.map((q, i) => [q, readings[i] ?? notMeasured('no reading')])) }),
  };
}
