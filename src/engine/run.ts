// The run use case: one pipeline execution for one exact commit, in a clean checkout of it.
// Steps form a DAG scheduled by the pure core (core/pipeline/plan.ts); this file applies its
// decisions: it starts processes, records every transition durably and streams output.
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig, formatConfigIssue } from '../config/load.js';
import type { SlipwayConfig } from '../config/types.js';
import { canonicalJson } from '../core/events/chain.js';
import { SlipwayError } from '../core/errors.js';
import { BUILD_STEP, checkDag, nextDecision, planSteps, type PlannedStep } from '../core/pipeline/plan.js';
import type { RunRecord, StepStatus } from '../core/run.js';
import type { RunningStep, StepOutcome } from '../ports/executor.js';
import type { MaskStream } from '../secrets/mask.js';
import type { Checkout, CommitInfo } from '../ports/vcs.js';
import type { EngineContext } from './context.js';
import { isoNow } from './context.js';
import { runBuiltinGate } from './gates.js';
import { findSecretInFiles } from './envconfig/artifact-check.js';

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

/** How many output lines of a failed step are quoted in the run's reason. */
const TAIL_LINES = 12;

export interface LoadedPipeline {
  commit: CommitInfo;
  config: SlipwayConfig;
  text: string;
  configDigest: string;
  buildKey: string;
}

/** Resolves a ref and loads the slipway.yaml of that exact commit. Throws on any problem, changing nothing. */
export const loadPipelineAt = async (ctx: EngineContext, ref: string): Promise<LoadedPipeline> => {
  const commit = await ctx.vcs.resolve(ctx.repo, ref);
  if (!commit) {
    throw new SlipwayError('not_found', `ref "${ref}" does not name a commit in ${ctx.repo}`, 'check the name with `git log --oneline` or `git branch -a`');
  }
  const text = await ctx.vcs.readFile(ctx.repo, commit.sha, 'slipway.yaml');
  if (text === undefined) {
    throw new SlipwayError(
      'config',
      `commit ${commit.sha.slice(0, 12)} has no slipway.yaml at the repository root`,
      'run `slipway init`, review the file, commit it, then run again',
    );
  }
  const loaded = loadConfig('slipway.yaml', text);
  if (!loaded.config || loaded.errors.length > 0) {
    const details = loaded.errors.map(formatConfigIssue).join('\n');
    throw new SlipwayError('config', `slipway.yaml at ${commit.sha.slice(0, 12)} is not valid:\n${details}`, 'fix the file, commit it, then run again');
  }
  const config = loaded.config;
  return {
    commit,
    config,
    text,
    configDigest: sha256(text),
    buildKey: sha256(canonicalJson(config.build)),
  };
};

const sha256 = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** Creates the run record and starts executing it; the returned handle resolves when it ends. */
export const startRun = async (engineCtx: EngineContext, opts: StartRunOptions): Promise<RunHandle> => {
  // Everything the run reads (pipeline file, checkout, provenance) comes from the repository holding the commit.
  const ctx = opts.repo === undefined ? engineCtx : { ...engineCtx, repo: opts.repo };
  const ref = opts.ref ?? 'HEAD';
  const pipeline = await loadPipelineAt(ctx, ref);
  const all = planSteps(pipeline.config);
  const steps = opts.buildOnly ? all.filter((s) => s.name === BUILD_STEP) : all;
  const problems = checkDag(steps);
  if (problems.length > 0) throw new SlipwayError('config', `the pipeline's steps do not form a DAG: ${JSON.stringify(problems)}`);

  const at = isoNow(ctx);
  const run = await ctx.store.createRun(
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
  await ctx.store.appendEvent({ kind: 'run.created', actor: ctx.actor, subject: run.id, data: { commit: run.commit, ref, trigger: opts.trigger } }, at);
  ctx.bus.publish({ type: 'run', runId: run.id, status: 'queued' });
  const exec = new RunExecution(ctx, run, pipeline, steps);
  return { run, done: exec.execute(), cancel: (reason) => exec.cancel(reason) };
};

class RunExecution {
  private readonly status = new Map<string, StepStatus>();
  private readonly running = new Map<string, RunningStep>();
  private readonly tails = new Map<string, string[]>();
  /** One streaming masker per step and output stream, so that a value split across lines is masked. */
  private readonly masking = new Map<string, { stream: MaskStream; partial: string }>();
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
  ) {
    for (const s of steps) this.status.set(s.name, 'pending');
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
      this.checkout = await ctx.vcs.checkout(ctx.repo, this.pipeline.commit, join(ctx.home, 'work'));
      this.log(BUILD_STEP, 'system', `checked out ${run.commit.slice(0, 12)} (${this.pipeline.commit.subject}) into a clean work tree`);
      await this.schedule();
    } catch (e) {
      this.failure ??= `the run could not proceed: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      await this.checkout?.dispose().catch(() => undefined);
    }
    for (const [name, st] of this.status) if (st === 'pending') await this.setStep(name, this.canceled ? 'canceled' : 'skipped');
    const ok = [...this.status.values()].every((s) => s === 'passed');
    const final = this.canceled ? 'canceled' : ok ? 'passed' : 'failed';
    const reason = this.canceled ?? (ok ? undefined : this.failure ?? 'a step did not pass');
    await ctx.store.flushLogs();
    const finishedAt = isoNow(ctx);
    await ctx.store.updateRun(run.id, { status: final, finishedAt, reason, digest: this.digest });
    await ctx.store.appendEvent({ kind: `run.${final}`, actor: ctx.actor, subject: run.id, data: { commit: run.commit, digest: this.digest ?? null, reason: reason ?? null } }, finishedAt);
    ctx.bus.publish({ type: 'run', runId: run.id, status: final, digest: this.digest, reason });
    const after = await ctx.store.getRun(run.id);
    if (!after) throw new Error(`run ${run.id} disappeared from the store`);
    return after;
  }

  /** Applies the scheduler's decisions until the DAG is finished or the run is canceled. */
  private async schedule(): Promise<void> {
    const inFlight = new Map<string, Promise<void>>();
    const concurrency = this.pipeline.config.pipeline.concurrency;
    for (;;) {
      if (this.canceled && inFlight.size === 0) return;
      const view = this.steps.map((s) => ({ name: s.name, needs: s.needs, status: this.status.get(s.name) ?? 'pending' }));
      const decision = this.canceled ? { kind: 'wait' as const } : nextDecision(view, concurrency);
      if (decision.kind === 'done') return;
      if (decision.kind === 'skip') {
        for (const name of decision.steps) {
          await this.setStep(name, 'skipped', { reason: `needs "${decision.because[name]}", which did not pass` });
        }
        continue;
      }
      if (decision.kind === 'start') {
        for (const name of decision.steps) {
          const step = this.steps.find((s) => s.name === name);
          if (!step) continue;
          this.status.set(name, 'running');
          inFlight.set(name, this.runStep(step).finally(() => inFlight.delete(name)));
        }
        continue;
      }
      if (inFlight.size === 0) return;
      await Promise.race(inFlight.values());
    }
  }

  private async runStep(step: PlannedStep): Promise<void> {
    const startedAt = isoNow(this.ctx);
    await this.setStep(step.name, 'running', { startedAt, attempts: 1 });
    try {
      const result = await this.perform(step).finally(() => this.flushMasked(step.name));
      if (result.ok) await this.setStep(step.name, 'passed', { finishedAt: isoNow(this.ctx), exitCode: 0 });
      else await this.failStep(step, result.reason, result.exitCode);
    } catch (e) {
      await this.failStep(step, e instanceof SlipwayError ? e.message : `internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  private async failStep(step: PlannedStep, reason: string, exitCode?: number): Promise<void> {
    const status = this.canceled ? 'canceled' : 'failed';
    await this.setStep(step.name, status, { finishedAt: isoNow(this.ctx), reason, exitCode });
    if (status === 'failed' && !this.failure) {
      const tail = (this.tails.get(step.name) ?? []).map((l) => `  ${l}`).join('\n');
      this.failure = `step "${step.name}" failed: ${reason}${tail ? `\nlast output of "${step.name}":\n${tail}` : ''}`;
    }
  }

  private async perform(step: PlannedStep): Promise<{ ok: true } | { ok: false; reason: string; exitCode?: number }> {
    const dir = this.checkout?.dir;
    if (!dir) return { ok: false, reason: 'no checkout' };
    if (step.kind === 'build') return this.build(step, dir);
    if (step.run !== undefined) return this.command(step, dir, step.run);
    const r = await runBuiltinGate(step, {
      ctx: this.ctx,
      runId: this.run.id,
      dir,
      digest: this.digest,
      log: (line) => this.log(step.name, 'stdout', line),
      exec: async (command, env) => {
        const out: string[] = [];
        const res = await this.command({ ...step, env: { ...step.env, ...env } }, dir, command, (l) => out.push(l));
        return { ok: res.ok, reason: res.ok ? 'passed' : res.reason, stdout: out.join('\n') };
      },
    });
    return r.ok ? r : { ok: false, reason: r.message };
  }

  private async build(step: PlannedStep, dir: string): Promise<{ ok: true } | { ok: false; reason: string; exitCode?: number }> {
    const { ctx, run, pipeline } = this;
    const existing = await ctx.store.findArtifact(run.commit, pipeline.buildKey);
    if (existing && (await ctx.artifacts.verify(existing.digest)).ok) {
      // Build once: the outputs of this commit exist; restore them instead of building again.
      await ctx.artifacts.unpack(existing.digest, dir, { overwrite: true });
      this.log(step.name, 'system', `reused artifact ${existing.digest} built for this commit${existing.runId ? ` by run ${existing.runId}` : ''}; not rebuilding`);
      this.digest = existing.digest;
      await ctx.store.updateRun(run.id, { digest: existing.digest });
      return { ok: true };
    }
    const started = isoNow(ctx);
    if (step.run !== undefined) {
      const r = await this.command(step, dir, step.run);
      if (!r.ok) return r;
    }
    if (step.secrets.length > 0) {
      const values = Object.values(await ctx.envConfig.pipelineSecrets(step.secrets));
      const hit = await findSecretInFiles(dir, pipeline.config.build.artifact, values);
      if (hit) return { ok: false, reason: `the build wrote the value of a secret it was given into ${hit}; a secret never goes into an artifact (let the app read it at run time: slipway secrets set ENV NAME)` };
    }
    this.log(step.name, 'system', `packing ${pipeline.config.build.artifact.join(', ')}`);
    const stored = await ctx.artifacts.storeBuild(dir, pipeline.config.build.artifact, {
      commit: run.commit,
      repo: ctx.repo,
      app: pipeline.config.app,
      pipelineFileDigest: pipeline.configDigest,
      builderId: 'https://slipway.dev/builder/local@v1',
      invocationId: this.invocationId,
      startedOn: started,
      finishedOn: isoNow(ctx),
      buildCommand: step.run,
      sourceDateEpoch: pipeline.commit.time,
    });
    this.digest = stored.digest;
    await ctx.store.putArtifact({ digest: stored.digest, commit: run.commit, runId: run.id, buildKey: pipeline.buildKey, size: stored.size, files: stored.files, createdAt: isoNow(ctx) });
    await ctx.store.updateRun(run.id, { digest: stored.digest });
    await ctx.store.appendEvent({ kind: 'artifact.built', actor: ctx.actor, subject: run.id, data: { digest: stored.digest, commit: run.commit, size: stored.size, files: stored.files } }, isoNow(ctx));
    this.log(step.name, 'system', `artifact ${stored.digest} (${stored.files} files, ${stored.size} bytes)${stored.existed ? ', identical to one already stored' : ''}, signed`);
    return { ok: true };
  }

  private async command(step: PlannedStep, dir: string, command: string, onStdout?: (line: string) => void): Promise<{ ok: true } | { ok: false; reason: string; exitCode?: number }> {
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
        timeoutMs: step.timeoutMs,
        onLine: (stream, line) => {
          this.log(step.name, stream, line);
          if (stream === 'stdout') onStdout?.(line);
        },
      });
      this.running.set(step.name, running);
      last = await running.done;
      this.running.delete(step.name);
      this.flushMasked(step.name);
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
      ...step.env,
    };
  }

  /**
   * Logs a line of a step, masked: the step's output goes through a streaming masker (a held-back
   * tail that could start a secret waits for the next line); Slipway's own lines are masked whole.
   */
  private log(step: string, stream: 'stdout' | 'stderr' | 'system', text: string): void {
    if (stream === 'system') {
      this.emitLine(step, stream, this.ctx.envConfig.masker().mask(text));
      return;
    }
    const key = `${step}\0${stream}`;
    let m = this.masking.get(key);
    if (!m) {
      m = { stream: this.ctx.envConfig.masker().stream(), partial: '' };
      this.masking.set(key, m);
    }
    const lines = (m.partial + m.stream.push(`${text}\n`)).split('\n');
    m.partial = lines.pop() ?? '';
    for (const l of lines) this.emitLine(step, stream, l);
  }

  /** Emits what the step's maskers held back (at the end of each command). */
  private flushMasked(step: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${step}\0${stream}`;
      const m = this.masking.get(key);
      if (!m) continue;
      this.masking.delete(key);
      const lines = (m.partial + m.stream.end()).split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const l of lines) this.emitLine(step, stream, l);
    }
  }

  private emitLine(step: string, stream: 'stdout' | 'stderr' | 'system', text: string): void {
    const line = this.ctx.store.appendLog({ runId: this.run.id, step, at: isoNow(this.ctx), stream, line: text });
    this.ctx.bus.publish({ type: 'log', line });
    if (stream === 'system') return;
    const tail = this.tails.get(step) ?? [];
    tail.push(text);
    if (tail.length > TAIL_LINES) tail.shift();
    this.tails.set(step, tail);
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

export const formatMs = (ms: number): string => (ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);
