// Verification of a release under live traffic: every interval, measure (the providers behind
// `ctx.measure`), judge (the pure reducer of core/verification), persist, and decide — pass, fail,
// or go on, sending synthetic probes when there is too little traffic to judge.
import { initialState, isTerminal, requestSeries, step, type SeriesPoint, type StepInput, type VerificationReport, type VerificationState } from '../../core/verification/index.js';
import type { ActiveVerifySpec } from '../../core/verification/types.js';
import { releaseLabel, type FailureCause } from '../../core/deployment/types.js';
import type { StoredDeployment } from '../../ports/store.js';
import type { EngineContext } from '../context.js';
import { record } from './apply.js';

/** What a verification needs measured, per interval; built by the composition root from adapters. */
export interface Measurer {
  /** Everything measured since `since` (ms epoch), errors as measurements in error. */
  gather(since: number): Promise<Omit<StepInput, 'spec' | 'elapsedMs'>>;
  /** Provider positions to persist, so a resumed verification counts nothing twice. */
  cursors(): Record<string, unknown>;
  /** Sends `n` synthetic requests pinned to the release under test; resolves when answered. */
  probe(n: number): Promise<void>;
  close(): void;
}

export interface MeasureTarget {
  env: string;
  release: number;
  digest: string;
  /** The stable release taking traffic beside it (a canary step). */
  baseline?: number;
  since: number;
  spec: ActiveVerifySpec;
  /** Persisted provider positions of a resumed verification. */
  cursors?: Record<string, unknown>;
  /** Where `prometheus:` checks are answered (slipway.yaml), when the spec has any. */
  prometheus?: { url: string; timeoutMs: number };
  /** What the synthetic probes request: verify.probe, else the health path. */
  probe: { path: string; method: 'GET' | 'HEAD' };
}

export type MeasureFactory = (t: MeasureTarget) => Measurer;

interface Persisted {
  windowStart: number;
  state: VerificationState;
  cursors: Record<string, unknown>;
  report?: VerificationReport;
  /** The release's requests over the window so far, one bucket per interval (the dashboard's chart). */
  series?: SeriesPoint[];
  /** The interval and the window as configured, for the chart's axis. */
  intervalMs?: number;
  windowMs?: number;
}

/**
 * `cause`: `check` when the release itself breached a check (its digest is to blame);
 * `inconclusive` for a window that could not judge or a broken provider, which says nothing
 * against it; `canceled` when stopped.
 */
export type VerifyOutcome = { ok: true; report?: VerificationReport } | { ok: false; reason: string; report?: VerificationReport; cause: Extract<FailureCause, 'check' | 'inconclusive' | 'canceled'> };

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/**
 * Runs the verify action `action` of deployment `d` to its decision. Resumable: the state is
 * persisted after every interval under (deployment, action), and a resumed call carries on from it.
 */
export const verifyRelease = async (
  ctx: EngineContext,
  d: StoredDeployment,
  action: number,
  opts: { spec: ActiveVerifySpec; release: number; baseline?: number; label: string; signal: AbortSignal; prometheus?: { url: string; timeoutMs: number }; probe: MeasureTarget['probe'] },
): Promise<VerifyOutcome> => {
  const { spec, signal } = opts;
  const saved = (await ctx.store.getVerification(d.id, action)) as Persisted | undefined;
  const rec: Persisted = saved ?? { windowStart: ctx.clock.now().getTime(), state: initialState(), cursors: {} };
  if (!saved) await record(ctx, d, 'deployment.verifying', { release: releaseLabel(opts.release), label: opts.label, windowMs: spec.windowMs, checks: spec.checks.map((c) => c.source), minSamples: spec.minSamples });
  if (!saved) ctx.crash?.at('verify.started');
  const measurer = ctx.measure({ env: d.env, release: opts.release, digest: d.digest, baseline: opts.baseline, since: rec.windowStart, spec, cursors: rec.cursors, prometheus: opts.prometheus, probe: opts.probe });
  let lastProbe = 0;
  try {
    for (;;) {
      if (signal.aborted) return { ok: false, reason: String(signal.reason ?? 'canceled'), report: rec.report, cause: 'canceled' };
      const measured = await measurer.gather(rec.windowStart);
      const r = step(rec.state, { spec, elapsedMs: ctx.clock.now().getTime() - rec.windowStart, ...measured });
      rec.state = r.state;
      rec.report = r.report;
      rec.cursors = measurer.cursors();
      if (measured.canary.requests.ok) rec.series = requestSeries(measured.canary.requests.value, rec.windowStart, spec.intervalMs, ctx.clock.now().getTime());
      rec.intervalMs = spec.intervalMs;
      rec.windowMs = spec.windowMs;
      await ctx.store.putVerification(d.id, action, rec);
      ctx.crash?.at('verify.interval-saved');
      if (isTerminal(r.decision)) {
        // The verdict is saved (state.final) before its event: resumed after a crash, it is recorded once.
        const recorded = saved?.state.final !== undefined && (await verdictRecorded(ctx, d.id, opts.label));
        if (r.decision.kind === 'pass') {
          if (!recorded) await record(ctx, d, 'deployment.verified', { release: releaseLabel(opts.release), label: opts.label, report: r.report });
          ctx.crash?.at('verify.decided');
          return { ok: true, report: r.report };
        }
        if (!recorded) await record(ctx, d, 'deployment.verification_failed', { release: releaseLabel(opts.release), label: opts.label, reason: r.decision.reason, check: r.decision.check ?? null, report: r.report });
        ctx.crash?.at('verify.decided');
        return { ok: false, reason: `verification failed (${opts.label}): ${r.decision.message}`, report: r.report, cause: r.decision.reason === 'check' ? 'check' : 'inconclusive' };
      }
      const probes = r.decision.probe ?? 0;
      if (probes > 0) {
        if (lastProbe === 0) await record(ctx, d, 'deployment.probing', { release: releaseLabel(opts.release), perInterval: probes, why: r.decision.kind === 'inconclusive' ? r.decision.message : 'too little traffic to judge' });
        lastProbe = probes;
        await Promise.all([measurer.probe(probes), sleep(spec.intervalMs, signal)]);
      } else {
        await sleep(spec.intervalMs, signal);
      }
    }
  } finally {
    measurer.close();
  }
};

/** Whether the verdict of `label`'s verification of deployment `id` is in the event log. */
const verdictRecorded = async (ctx: EngineContext, id: string, label: string): Promise<boolean> =>
  (await ctx.store.listEvents({ subject: id, limit: 10_000 })).some((e) => (e.kind === 'deployment.verified' || e.kind === 'deployment.verification_failed') && e.data.label === label);
