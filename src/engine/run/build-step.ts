// The build step: runs the build command in the checkout, refuses an artifact that holds a secret
// it was given, then packs, signs and records the artifact. Build once: a commit built before
// (with the same build definition) has its verified artifact unpacked instead; a leading `npm ci`
// goes through the dependency cache (./dependencies.ts).
import { LEAN_RULE } from '../../core/artifact/lean.js';
import { SlipwayError } from '../../core/errors.js';
import { runtimeMismatch, type BuildRuntime } from '../../core/artifact/provenance.js';
import type { PlannedStep } from '../../core/pipeline/plan.js';
import type { RunRecord } from '../../core/run.js';
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import type { LoadedPipeline } from './pipeline.js';
import { entryProblem, explainBuildFailure } from './entry-check.js';
import { runBuildCommand } from './dependencies.js';

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

/** The Node.js this control plane runs, which the steps run on too (PATH comes from it). */
export const buildRuntime = (): BuildRuntime => ({ node: process.version, platform: process.platform, arch: process.arch });

/**
 * The stored artifact of this commit and build definition that may be reused here, or why the one
 * stored may not: it must verify, and have been built on this Node major version, platform and
 * architecture (a native module built for another does not load).
 */
export const reusableArtifact = async (
  ctx: Pick<EngineContext, 'store' | 'artifacts'>,
  pipeline: Pick<LoadedPipeline, 'commit' | 'buildKey'>,
): Promise<{ digest: string; runId?: string } | { refused: string } | undefined> => {
  const existing = await ctx.store.findArtifact(pipeline.commit.sha, pipeline.buildKey);
  if (!existing || !(await ctx.artifacts.verify(existing.digest)).ok) return undefined;
  const mismatch = runtimeMismatch(await ctx.artifacts.builtOn(existing.digest), buildRuntime());
  if (mismatch !== null) return { refused: `not reusing artifact ${existing.digest}: ${mismatch}; building again` };
  return { digest: existing.digest, ...(existing.runId ? { runId: existing.runId } : {}) };
};

export const buildStep = async (step: PlannedStep, dir: string, deps: BuildStepDeps): Promise<StepResult> => {
  const { ctx, run, pipeline } = deps;
  const existing = await reusableArtifact(ctx, pipeline);
  if (existing && 'refused' in existing) deps.log(existing.refused);
  else if (existing) {
    // Build once: the outputs of this commit exist; restore them instead of building again.
    await ctx.artifacts.unpack(existing.digest, dir, { overwrite: true });
    // Restored as this process's files: the later steps (sandboxed) may write beside them.
    await ctx.sandbox.own(dir);
    deps.log(`reused artifact ${existing.digest} built for this commit${existing.runId ? ` by run ${existing.runId}` : ''}; not rebuilding`);
    const image = await publishImage(deps, existing.digest, isoNow(ctx));
    if (!image.ok) return image;
    deps.setDigest(existing.digest);
    await ctx.store.updateRun(run.id, { digest: existing.digest });
    return { ok: true };
  }
  const started = isoNow(ctx);
  if (step.run !== undefined) {
    const r = await runBuildCommand(step, dir, step.run, deps);
    if (!r.ok) return { ...r, reason: explainBuildFailure(ctx.machine, dir, r.reason, deps.tail()) };
  }
  const entry = entryProblem(ctx.machine, pipeline.config, dir);
  if (entry) return { ok: false, reason: entry };
  if (step.secrets.length > 0) {
    const values = Object.values(await ctx.envConfig.pipelineSecrets(step.secrets));
    const hit = await ctx.machine.findSecretInFiles(dir, pipeline.config.build.artifact, values);
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
    runtime: buildRuntime(),
  }, { keep: pipeline.config.build.keep });
  // The image before the run records its digest: a registry that is down or says no fails the
  // build, so that no release is ever made of an artifact whose image was not pushed.
  const image = await publishImage(deps, stored.digest, started);
  if (!image.ok) return image;
  deps.setDigest(stored.digest);
  await ctx.store.putArtifact({ digest: stored.digest, commit: run.commit, runId: run.id, buildKey: pipeline.buildKey, size: stored.size, files: stored.files, createdAt: isoNow(ctx) });
  await ctx.store.updateRun(run.id, { digest: stored.digest });
  await ctx.store.appendEvent({ kind: 'artifact.built', actor: ctx.actor, subject: run.id, data: { digest: stored.digest, commit: run.commit, size: stored.size, files: stored.files } }, isoNow(ctx));
  ctx.crash?.at('run.artifact-stored');
  if (stored.leftOut > 0) deps.log(`left out ${stored.leftOut} ${stored.leftOut === 1 ? 'entry' : 'entries'}: ${LEAN_RULE} (build.keep brings them back)`);
  deps.log(`artifact ${stored.digest} (${stored.files} files, ${stored.size} bytes)${stored.existed ? ', identical to one already stored' : ''}, signed`);
  return { ok: true };
};

/**
 * `build.image`: builds the OCI image of the artifact (the same digest from the same artifact and
 * commit time), pushes it by digest and signs its provenance; nothing without `build.image`.
 */
const publishImage = async (deps: BuildStepDeps, artifact: string, startedOn: string): Promise<StepResult> => {
  const { ctx, run, pipeline } = deps;
  const target = pipeline.config.build.image;
  if (target === undefined) return { ok: true };
  if (ctx.images === undefined) return { ok: false, reason: 'build.image is set, but this control plane cannot build images' };
  deps.log(`building the image of ${artifact} and pushing it to ${target.registry}/${target.repository}`);
  try {
    const image = await ctx.images.publish({ artifact, created: pipeline.commit.time, target, invocationId: deps.invocationId, startedOn });
    await ctx.store.appendEvent({ kind: 'image.pushed', actor: ctx.actor, subject: run.id, data: { artifact, image: image.ref } }, isoNow(ctx));
    deps.log(`image ${image.ref}, signed${image.baseCached ? ' (base layer cached)' : ''}`);
    return { ok: true };
  } catch (e) {
    if (!(e instanceof SlipwayError)) throw e;
    return { ok: false, reason: `the image of ${artifact} was not pushed, so no release can be made of it: ${e.message}${e.hint ? ` (${e.hint})` : ''}` };
  }
};
