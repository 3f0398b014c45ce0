// The run use case: one pipeline execution for one exact commit, in a clean checkout of it.
// Steps form a DAG scheduled by the pure core (core/pipeline/plan.ts, applied by run/schedule.ts);
// this file runs each step's command, records every transition durably and streams output
// (run/output.ts); the build step lives in run/build-step.ts.
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { BUILD_STEP, checkDag, planSteps, type PlannedStep } from '../core/pipeline/plan.js';
import type { RunRecord, StepStatus } from '../core/run.js';
import type { RunningStep, StepOutcome } from '../ports/executor.js';
import type { Checkout } from '../ports/vcs.js';
import type { EngineContext } from './context.js';
import { isoNow } from './context.js';
import { buildStep, type StepResult } from './run/build-step.js';
import { StepOutput } from './run/output.js';
import { loadPipelineAt, type LoadedPipeline } from './run/pipeline.js';
import { schedule } from './run/schedule.js';
import { formatMs } from '../core/duration.js';

export interface StartRunOptions {
  ref?: string;
  trigger: string;
  /** Run only the build step (`slipway build`). */
  buildOnly?: boolean;
  /** The repository holding the commit, instead of the app's own (the merge queue's canonical one). */
  repo?: string;
}

export interface RunHandle {
  run: RunRecord;
  done: Promise<RunRecord>;
  cancel(reason?: string): void;
}

/** Creates the run record and starts executing it; the returned handle resolves when it ends. */
export const startRun = async (engineCtx: EngineContext, opts: StartRunOptions): Promise<RunHandle> => {
  // Everything the run reads (pipeline file, checkout, provenance) comes from the repository holding the commit.
  const ctx = opts.repo === undefined ? engineCtx : { ...engineCtx, repo: opts.repo };
  const ref = opts.ref ?? 'HEAD';
  ctx.timing?.mark('run requested');
  const pipeline = await loadPipelineAt(ctx, ref);
  ctx.timing?.mark('ref resolved, slipway.yaml read and parsed');
  const all = planSteps(pipeline.config);
  const steps = opts.buildOnly ? all.filter((s) => s.name === BUILD_STEP) : all;
  const problems = checkDag(steps);
  if (problems.length > 0) throw new SlipwayError('config', `the pipeline's steps do not form a DAG: ${JSON.stringify(problems)}`);

  // The clean checkout of the commit starts now, while the run is recorded: the first step waits for it.
  const checkout = ctx.vcs.checkout(ctx.repo, pipeline.commit, join(ctx.sandbox.dir, 'work'));
  checkout.catch(() => undefined);
  const at = isoNow(ctx);
  let run: RunRecord;
  try {
    run = await ctx.store.createRun(
      {
        app: pipeline.config.app,
        commit: pipeline.commit.sha,
        ref,
        message: pipeline.commit.subject,
        author: pipeline.commit.author,
        trigger: opts.trigger,
        actor: ctx.actor,
        configDigest: pipeline.configDigest,
        steps: steps.map((s) => ({ name: s.name, kind: s.kind, needs: s.needs })),
      },
      at,
    );
    await ctx.store.appendEvent({ kind: 'run.created', actor: ctx.actor, subject: run.id, data: { commit: run.commit, ref, trigger: opts.trigger, sandbox: ctx.sandbox.mode, sandboxWarning: ctx.sandbox.warning } }, at);
  } catch (e) {
    await checkout.then((c) => c.dispose(), () => undefined);
    throw e;
  }
  ctx.bus.publish({ type: 'run', runId: run.id, status: 'queued' });
  ctx.timing?.mark('run recorded');
  ctx.crash?.at('run.recorded');
  const exec = new RunExecution(ctx, run, pipeline, steps, checkout);
  return { run, done: exec.execute(), cancel: (reason) => exec.cancel(reason) };
};

class RunExecution {
  private readonly status = new Map<string, StepStatus>();
  private readonly running = new Map<string, RunningStep>();
  private readonly output: StepOutput;
  private canceled: string | undefined;
  private digest: string | undefined;
  private failure: string | undefined;
  private checkout: Checkout | undefined;
  private readonly invocationId = randomUUID();

  constructor(
    private readonly ctx: EngineContext,
    private readonly run: RunRecord,
    private readonly pipeline: LoadedPipeline,
    private readonly steps: PlannedStep[],
    private readonly pendingCheckout: Promise<Checkout>,
  ) {
    for (const s of steps) this.status.set(s.name, 'pending');
    this.output = new StepOutput(ctx, run.id);
  }

  cancel(reason = 'canceled by the user'): void {
    if (this.canceled) return;
    this.canceled = reason;
    for (const r of this.running.values()) r.cancel();
  }

  async execute(): Promise<RunRecord> {
    const { ctx, run } = this;
    const startedAt = isoNow(ctx);
    await ctx.store.updateRun(run.id, { status: 'running', startedAt });
    ctx.bus.publish({ type: 'run', runId: run.id, status: 'running' });
    try {
      this.checkout = await this.pendingCheckout;
      ctx.timing?.mark('checked out');
      await ctx.sandbox.own(this.checkout.dir);
      ctx.timing?.mark('work tree owned by the sandbox user');
      ctx.crash?.at('run.checked-out');
      this.log(BUILD_STEP, 'system', `checked out ${run.commit.slice(0, 12)} (${this.pipeline.commit.subject}) into a clean work tree`);
      if (ctx.sandbox.warning !== null) this.log(BUILD_STEP, 'system', `WARNING: ${ctx.sandbox.warning}`);
      await this.schedule();
    } catch (e) {
      this.failure ??= `the run could not proceed: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      await this.checkout?.dispose().catch(() => undefined);
    }
    for (const [name, st] of this.status) if (st === 'pending') await this.setStep(name, this.canceled ? 'canceled' : 'skipped');
    const ok = [...this.status.values()].every((s) => s === 'passed');
    // A run with a failed step failed, even when it was then canceled (the merge queue stops a
    // batch's run at its first failure): the cancel only spared the steps that could not help.
    const stepFailed = [...this.status.values()].some((s) => s === 'failed');
    const final = stepFailed ? 'failed' : this.canceled ? 'canceled' : ok ? 'passed' : 'failed';
    const reason = stepFailed ? (this.failure ?? 'a step did not pass') : (this.canceled ?? (ok ? undefined : this.failure ?? 'a step did not pass'));
    await ctx.store.flushLogs();
    const finishedAt = isoNow(ctx);
    await ctx.store.updateRun(run.id, { status: final, finishedAt, reason, digest: this.digest });
    await ctx.store.appendEvent({ kind: `run.${final}`, actor: ctx.actor, subject: run.id, data: { commit: run.commit, digest: this.digest ?? null, reason: reason ?? null } }, finishedAt);
    ctx.crash?.at('run.finished');
    ctx.bus.publish({ type: 'run', runId: run.id, status: final, digest: this.digest, reason });
    ctx.timing?.mark('run finished');
    const after = await ctx.store.getRun(run.id);
    if (!after) throw new Error(`run ${run.id} disappeared from the store`);
    return after;
  }

  /** Applies the scheduler's decisions until the DAG is finished or the run is canceled. */
  private schedule(): Promise<void> {
    return schedule(this.steps, this.pipeline.config.pipeline.concurrency, {
      status: (name) => this.status.get(name) ?? 'pending',
      markRunning: (name) => this.status.set(name, 'running'),
      runStep: (step) => this.runStep(step),
      skip: (name, reason) => this.setStep(name, 'skipped', { reason }),
      canceled: () => this.canceled,
    });
  }

  private async runStep(step: PlannedStep): Promise<void> {
    const startedAt = isoNow(this.ctx);
    this.ctx.timing?.mark(`step ${step.name}: scheduled`);
    await this.setStep(step.name, 'running', { startedAt, attempts: 1 });
    this.ctx.crash?.at('run.step-started');
    try {
      const result = await this.perform(step).finally(() => this.output.flush(step.name));
      if (result.ok) await this.setStep(step.name, 'passed', { finishedAt: isoNow(this.ctx), exitCode: 0 });
      else await this.failStep(step, result.reason, result.exitCode);
      this.ctx.timing?.mark(`step ${step.name}: recorded`);
      this.ctx.crash?.at('run.step-recorded');
    } catch (e) {
      await this.failStep(step, e instanceof SlipwayError ? e.message : `internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  private async failStep(step: PlannedStep, reason: string, exitCode?: number): Promise<void> {
    const status = this.canceled ? 'canceled' : 'failed';
    await this.setStep(step.name, status, { finishedAt: isoNow(this.ctx), reason, exitCode });
    if (status === 'failed' && !this.failure) {
      const tail = this.output.tail(step.name).map((l) => `  ${l}`).join('\n');
      this.failure = `step "${step.name}" failed: ${reason}${tail ? `\nlast output of "${step.name}":\n${tail}` : ''}`;
    }
  }

  private async perform(step: PlannedStep): Promise<StepResult> {
    const dir = this.checkout?.dir;
    if (!dir) return { ok: false, reason: 'no checkout' };
    if (step.kind === 'build') {
      return buildStep(step, dir, {
        ctx: this.ctx,
        run: this.run,
        pipeline: this.pipeline,
        invocationId: this.invocationId,
        command: (s, d, c) => this.command(s, d, c),
        log: (line) => this.log(step.name, 'system', line),
        tail: () => this.output.tail(step.name),
        setDigest: (digest) => (this.digest = digest),
      });
    }
    if (step.run !== undefined) return this.command(step, dir, step.run);
    const r = await this.ctx.gates.run(step, {
      runId: this.run.id,
      artifactPath: (digest) => this.ctx.artifacts.path(digest),
      baseEnv: this.ctx.baseEnv,
      now: this.ctx.clock.now(),
      sandbox: this.ctx.sandbox,
      store: this.ctx.store,
      dir,
      digest: this.digest,
      log: (line) => this.log(step.name, 'stdout', line),
      exec: async (command, env, writable) => {
        const out: string[] = [];
        const res = await this.command({ ...step, env: { ...step.env, ...env } }, dir, command, (l) => out.push(l), writable);
        return { ok: res.ok, reason: res.ok ? 'passed' : res.reason, stdout: out.join('\n') };
      },
    });
    return r.ok ? r : { ok: false, reason: r.message };
  }

  private async command(step: PlannedStep, dir: string, command: string, onStdout?: (line: string) => void, writable?: readonly string[]): Promise<StepResult> {
    const attempts = step.retries + 1;
    // The secrets the step declares, from the pipeline's environment; resolved before it starts.
    const secrets = await this.ctx.envConfig.pipelineSecrets(step.secrets);
    let last: StepOutcome | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.canceled) return { ok: false, reason: this.canceled };
      if (attempt > 1) {
        this.log(step.name, 'system', `retrying (attempt ${attempt} of ${attempts}): the step is marked flaky`);
        await this.ctx.store.updateStep(this.run.id, step.name, { attempts: attempt });
        await this.ctx.store.appendEvent({ kind: 'step.retried', actor: this.ctx.actor, subject: this.run.id, data: { step: step.name, attempt, previous: describeOutcome(last) } }, isoNow(this.ctx));
      }
      const running = this.ctx.executor.start({
        command,
        cwd: dir,
        env: { ...this.stepEnv(step), ...secrets },
        writable,
        timeoutMs: step.timeoutMs,
        onLine: (stream, line) => {
          this.log(step.name, stream, line);
          if (stream === 'stdout') onStdout?.(line);
        },
      });
      this.ctx.timing?.mark(`step ${step.name}: spawned`);
      this.running.set(step.name, running);
      last = await running.done;
      this.ctx.timing?.mark(`step ${step.name}: exited`);
      this.running.delete(step.name);
      this.output.flush(step.name);
      if (last.ok) return { ok: true };
      if (last.reason === 'timeout' || last.reason === 'canceled') break;
    }
    return { ok: false, reason: describeOutcome(last), exitCode: last && 'exitCode' in last ? last.exitCode : undefined };
  }

  private stepEnv(step: PlannedStep): Record<string, string> {
    return {
      ...this.ctx.baseEnv,
      CI: 'true',
      SLIPWAY: '1',
      SLIPWAY_RUN_ID: this.run.id,
      SLIPWAY_COMMIT: this.run.commit,
      SLIPWAY_STEP: step.name,
      SOURCE_DATE_EPOCH: String(this.pipeline.commit.time),
      // The work tree has no .git: git in a step must not find a repository above it either.
      ...(this.checkout ? { GIT_CEILING_DIRECTORIES: dirname(this.checkout.dir) } : {}),
      ...step.env,
    };
  }

  private log(step: string, stream: 'stdout' | 'stderr' | 'system', text: string): void {
    this.output.log(step, stream, text);
  }

  private async setStep(name: string, status: StepStatus, extra: { startedAt?: string; finishedAt?: string; exitCode?: number; reason?: string; attempts?: number } = {}): Promise<void> {
    this.status.set(name, status);
    await this.ctx.store.updateStep(this.run.id, name, { status, ...extra });
    const at = extra.finishedAt ?? extra.startedAt ?? isoNow(this.ctx);
    if (status !== 'running') {
      await this.ctx.store.appendEvent({ kind: `step.${status}`, actor: this.ctx.actor, subject: this.run.id, data: { step: name, reason: extra.reason ?? null, exitCode: extra.exitCode ?? null } }, at);
    }
    this.ctx.bus.publish({ type: 'step', runId: this.run.id, step: name, status, at, exitCode: extra.exitCode, reason: extra.reason });
  }
}

const describeOutcome = (o: StepOutcome | undefined): string => {
  if (!o) return 'did not run';
  if (o.ok) return 'passed';
  switch (o.reason) {
    case 'exit':
      return `exited with code ${o.exitCode}`;
    case 'signal':
      return `was killed by ${o.signal}`;
    case 'timeout':
      return `timed out after ${formatMs(o.durationMs)}`;
    case 'canceled':
      return 'was canceled';
    case 'spawn':
      return `could not start: ${o.message}`;
  }
};

export { formatMs };
