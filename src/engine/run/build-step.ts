// The build step: runs the build command in the checkout, refuses an artifact that holds a secret
// it was given, then packs, signs and records the artifact. Build once: a commit built before
// (with the same build definition) has its verified artifact unpacked instead.
import type { PlannedStep } from '../../core/pipeline/plan.js';
import type { RunRecord } from '../../core/run.js';
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import { findSecretInFiles } from '../envconfig/artifact-check.js';
import type { LoadedPipeline } from './pipeline.js';
import { entryProblem, explainBuildFailure } from './entry-check.js';

export type StepResult = { ok: true } | { ok: false; reason: string; exitCode?: number };

export interface BuildStepDeps {
  ctx: EngineContext;
  run: RunRecord;
  pipeline: LoadedPipeline;
  /** The build's invocation id, recorded in its provenance. */
  invocationId: string;
  /** Runs the step's own command in the checkout (retries, masking and cancel included). */
  command(step: PlannedStep, dir: string, command: string): Promise<StepResult>;
  log(line: string): void;
  /** The step's last output lines, as quoted in a failure. */
  tail(): readonly string[];
  /** Records the digest the run produced. */
  setDigest(digest: string): void;
}

export const buildStep = async (step: PlannedStep, dir: string, deps: BuildStepDeps): Promise<StepResult> => {
  const { ctx, run, pipeline } = deps;
  const existing = await ctx.store.findArtifact(run.commit, pipeline.buildKey);
  if (existing && (await ctx.artifacts.verify(existing.digest)).ok) {
    // Build once: the outputs of this commit exist; restore them instead of building again.
    await ctx.artifacts.unpack(existing.digest, dir, { overwrite: true });
    // Restored as this process's files: the later steps (sandboxed) may write beside them.
    await ctx.sandbox.own(dir);
    deps.log(`reused artifact ${existing.digest} built for this commit${existing.runId ? ` by run ${existing.runId}` : ''}; not rebuilding`);
    deps.setDigest(existing.digest);
    await ctx.store.updateRun(run.id, { digest: existing.digest });
    return { ok: true };
  }
  const started = isoNow(ctx);
  if (step.run !== undefined) {
    const r = await deps.command(step, dir, step.run);
    if (!r.ok) return { ...r, reason: explainBuildFailure(dir, r.reason, deps.tail()) };
  }
  const entry = entryProblem(pipeline.config, dir);
  if (entry) return { ok: false, reason: entry };
  if (step.secrets.length > 0) {
    const values = Object.values(await ctx.envConfig.pipelineSecrets(step.secrets));
    const hit = await findSecretInFiles(dir, pipeline.config.build.artifact, values);
    if (hit) return { ok: false, reason: `the build wrote the value of a secret it was given into ${hit}; a secret never goes into an artifact (let the app read it at run time: slipway secrets set ENV NAME)` };
  }
  deps.log(`packing ${pipeline.config.build.artifact.join(', ')}`);
  const stored = await ctx.artifacts.storeBuild(dir, pipeline.config.build.artifact, {
    commit: run.commit,
    repo: ctx.repo,
    app: pipeline.config.app,
    pipelineFileDigest: pipeline.configDigest,
    builderId: 'https://slipway.dev/builder/local@v1',
    invocationId: deps.invocationId,
    startedOn: started,
    finishedOn: isoNow(ctx),
    buildCommand: step.run,
    sourceDateEpoch: pipeline.commit.time,
    // The steps run on the control plane's Node (PATH comes from it): native modules are built for it.
    runtime: { node: process.version, platform: process.platform, arch: process.arch },
  });
  deps.setDigest(stored.digest);
  await ctx.store.putArtifact({ digest: stored.digest, commit: run.commit, runId: run.id, buildKey: pipeline.buildKey, size: stored.size, files: stored.files, createdAt: isoNow(ctx) });
  await ctx.store.updateRun(run.id, { digest: stored.digest });
  await ctx.store.appendEvent({ kind: 'artifact.built', actor: ctx.actor, subject: run.id, data: { digest: stored.digest, commit: run.commit, size: stored.size, files: stored.files } }, isoNow(ctx));
  deps.log(`artifact ${stored.digest} (${stored.files} files, ${stored.size} bytes)${stored.existed ? ', identical to one already stored' : ''}, signed`);
  return { ok: true };
};
