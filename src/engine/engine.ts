// createEngine: the use cases of the control plane behind one object, with the runs in flight.
import { SlipwayError } from '../core/errors.js';
import type { RunRecord, StepRecord } from '../core/run.js';
import type { EngineContext } from './context.js';
import { isoNow } from './context.js';
import { checkReproducible, type ReproducibilityReport } from './reproducible.js';
import { startRun, type RunHandle, type StartRunOptions } from './run.js';
import { loadPipelineAt } from './run/pipeline.js';
import { reusableArtifact } from './run/build-step.js';
import { Deployer } from './deploy/deploy.js';
import { down, recoverDeployments, up, type UpReport } from './deploy/converge.js';
import { collectGarbage, type GcReport } from './retention.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../core/retention/plan.js';
import { DEFAULT_LOG_POLICY, type LogPolicy } from '../core/retention/logs.js';

export interface BuildResult {
  /** The artifact, when it already existed for this commit (no run was started). */
  existing?: { digest: string; runId?: string };
  /** The build run started otherwise. */
  run?: RunRecord;
}

export class Engine {
  private readonly active = new Map<string, RunHandle>();
  readonly deployer: Deployer;

  constructor(readonly ctx: EngineContext) {
    this.deployer = new Deployer(ctx);
  }

  /** Adopts running instances and resumes deployments a previous control plane left in flight. */
  recoverDeployments(log: (line: string) => void): Promise<string[]> {
    return recoverDeployments(this.ctx, this.deployer, log);
  }

  up(): Promise<UpReport> {
    return up(this.ctx);
  }

  /** The retention policy of slipway.yaml at HEAD (the defaults when there is none yet), with the gc period. */
  async retentionPolicy(): Promise<RetentionPolicy & LogPolicy & { gcEveryMs: number }> {
    const r = await loadPipelineAt(this.ctx, 'HEAD').then(({ config }) => config.retention).catch(() => undefined);
    return {
      ...DEFAULT_RETENTION,
      ...DEFAULT_LOG_POLICY,
      ...(r ? { keepReleases: r.keepReleases, pinned: r.pinned, minAgeMs: r.minAgeMs, logsDays: r.logsDays, logMaxBytes: r.logMaxBytes } : {}),
      gcEveryMs: r?.gcEveryMs ?? 3_600_000,
    };
  }

  /** Applies the retention policy (`slipway gc`); what runs or deploys meanwhile is skipped. */
  async gc(opts: { dryRun: boolean }): Promise<GcReport> {
    const disk = this.ctx.retention;
    if (disk === undefined) throw new SlipwayError('usage', 'this control plane has no retention disk to collect');
    return collectGarbage(this.ctx, disk, await this.retentionPolicy(), { dryRun: opts.dryRun, activeRuns: this.activeRuns, ...(this.ctx.logs ? { logs: this.ctx.logs } : {}) });
  }

  /**
   * The last `lines` lines of output of each instance of `env` that runs, rotated files included
   * (masked by the instance's shim when written).
   */
  async instanceLogs(env: string, lines: number): Promise<{ id: string; release: number; state: string; lines: string[] }[]> {
    const disk = this.ctx.logs;
    if (disk === undefined) throw new SlipwayError('usage', 'this control plane keeps no instance logs');
    const out = [];
    for (const i of this.ctx.runtime.list(env)) out.push({ id: i.id, release: i.release, state: i.state, lines: await disk.tail(i.log, lines) });
    return out;
  }

  down(): Promise<{ stopped: number; ms: number }> {
    return down(this.ctx, this.deployer.activeDeployments);
  }

  /** Marks runs that a previous control plane left unfinished as failed, with the reason. */
  async recover(): Promise<string[]> {
    const stale = await this.ctx.store.unfinishedRuns();
    for (const run of stale) {
      const reason = 'the control plane stopped while this run was in flight; run it again';
      const at = isoNow(this.ctx);
      for (const s of await this.ctx.store.getSteps(run.id)) {
        if (s.status === 'pending' || s.status === 'running') await this.ctx.store.updateStep(run.id, s.name, { status: 'canceled', finishedAt: at, reason });
      }
      await this.ctx.store.updateRun(run.id, { status: 'failed', finishedAt: at, reason });
      await this.ctx.store.appendEvent({ kind: 'run.failed', actor: 'slipway', subject: run.id, data: { reason } }, at);
    }
    return stale.map((r) => r.id);
  }

  async startRun(opts: StartRunOptions): Promise<RunRecord> {
    const handle = await startRun(this.ctx, opts);
    this.active.set(handle.run.id, handle);
    void handle.done.finally(() => this.active.delete(handle.run.id));
    return handle.run;
  }

  /** `slipway build`: the existing artifact of the commit, or a new build-only run. */
  async build(ref: string | undefined): Promise<BuildResult> {
    const pipeline = await loadPipelineAt(this.ctx, ref ?? 'HEAD');
    // Reused only when it verifies and was built on this runtime; else the build-only run says why.
    const existing = await reusableArtifact(this.ctx, pipeline);
    if (existing && !('refused' in existing)) return { existing };
    return { run: await this.startRun({ ref, trigger: 'build', buildOnly: true }) };
  }

  checkReproducible(ref: string | undefined): Promise<ReproducibilityReport> {
    return checkReproducible(this.ctx, ref ?? 'HEAD');
  }

  cancel(runId: string, reason?: string): boolean {
    const h = this.active.get(runId);
    if (!h) return false;
    h.cancel(reason);
    return true;
  }

  /** Waits for a run in flight to end; resolves at once for a finished one. */
  async waitFor(runId: string): Promise<RunRecord | undefined> {
    const h = this.active.get(runId);
    if (h) return h.done;
    return this.ctx.store.getRun(runId);
  }

  get activeRuns(): string[] {
    return [...this.active.keys()];
  }

  async getRun(id: string): Promise<{ run: RunRecord; steps: StepRecord[] }> {
    const run = await this.ctx.store.getRun(normaliseRunId(id));
    if (!run) throw new SlipwayError('not_found', `no run "${id}"`, 'list the recent runs with `slipway runs`');
    return { run, steps: await this.ctx.store.getSteps(run.id) };
  }

  /**
   * Cancels every run in flight and waits for them to record their end. Deployments are left as
   * they are, their intent recorded: the next control plane resumes them, and the instances and
   * the proxy keep serving in between.
   */
  async shutdown(reason: string): Promise<void> {
    const handles = [...this.active.values()];
    for (const h of handles) h.cancel(reason);
    await Promise.allSettled(handles.map((h) => h.done));
    await this.deployer.shutdown();
    await this.ctx.runtime.close({ stopInstances: false });
    await this.ctx.store.flushLogs();
  }
}

/** Accepts `r12`, `12` and `#12` for run 12. */
export const normaliseRunId = (id: string): string => {
  const m = /^(?:#|r)?(\d+)$/.exec(id.trim());
  return m ? `r${m[1]}` : id.trim();
};
