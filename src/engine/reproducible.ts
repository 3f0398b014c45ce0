// `slipway build --check-reproducible`: build the commit again in a fresh checkout, without the
// cache, and compare the archive with the stored one file by file.
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { EngineContext } from './context.js';
import type { FileDifference } from '../ports/artifact-service.js';
import { loadPipelineAt } from './run/pipeline.js';

export interface ReproducibilityReport {
  commit: string;
  stored: string;
  rebuilt: string;
  reproducible: boolean;
  differences: FileDifference;
  log: string[];
}

export const checkReproducible = async (ctx: EngineContext, ref: string): Promise<ReproducibilityReport> => {
  const pipeline = await loadPipelineAt(ctx, ref);
  const existing = await ctx.store.findArtifact(pipeline.commit.sha, pipeline.buildKey);
  if (!existing) {
    throw new SlipwayError('not_found', `commit ${pipeline.commit.sha.slice(0, 12)} has not been built yet`, 'run `slipway build` first, then check it');
  }
  const checkout = await ctx.vcs.checkout(ctx.repo, pipeline.commit, join(ctx.sandbox.dir, 'work'));
  const log: string[] = [];
  try {
    await ctx.sandbox.own(checkout.dir);
    const run = pipeline.config.build.run;
    if (run !== undefined) {
      // The build's declared secrets, as in the run; its output is masked before it is kept.
      const secrets = await ctx.envConfig.pipelineSecrets(pipeline.config.build.secrets);
      const r = ctx.executor.start({
        command: run,
        cwd: checkout.dir,
        env: { ...ctx.baseEnv, CI: 'true', SLIPWAY: '1', SOURCE_DATE_EPOCH: String(pipeline.commit.time), ...pipeline.config.build.env, ...secrets },
        timeoutMs: pipeline.config.build.timeoutMs,
        onLine: (_s, line) => {
          log.push(ctx.envConfig.masker().mask(line));
          if (log.length > 50) log.shift();
        },
      });
      const outcome = await r.done;
      if (!outcome.ok) throw new SlipwayError('failed', `the rebuild failed (${outcome.reason}); last output:\n${log.slice(-12).join('\n')}`);
    }
    const cmp = await ctx.artifacts.compareBuild(checkout.dir, pipeline.config.build.artifact, existing.digest, { keep: pipeline.config.build.keep });
    return { commit: pipeline.commit.sha, stored: existing.digest, rebuilt: cmp.digest, reproducible: cmp.same, differences: cmp.diff, log };
  } finally {
    await checkout.dispose();
  }
};
