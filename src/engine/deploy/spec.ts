// What a release needs to run, read from the slipway.yaml of the commit it was built from: build
// once means the pipeline file travels with the artifact, never from the working tree.
import { SlipwayError } from '../../core/errors.js';
import type { EnvironmentSpec, SlipwayConfig } from '../../config/types.js';
import type { Release } from '../../core/deployment/types.js';
import type { InstanceSpec } from '../../ports/runtime.js';
import type { EngineContext } from '../context.js';
import { loadPipelineAt } from '../run/pipeline.js';

export const environmentOf = (config: SlipwayConfig, env: string): EnvironmentSpec => {
  const spec = config.environments.find((e) => e.name === env);
  if (!spec) {
    const known = config.environments.map((e) => e.name);
    throw new SlipwayError('not_found', `unknown environment "${env}"`, known.length ? `environments in slipway.yaml: ${known.join(', ')}` : 'add an `environments:` section to slipway.yaml');
  }
  return spec;
};

/** The config of the commit a release was built from (cached: commits never change). */
export const configAt = async (ctx: EngineContext, commit: string): Promise<SlipwayConfig> => {
  const cached = cache.get(commit);
  if (cached) return cached;
  let loaded;
  try {
    loaded = await loadPipelineAt(ctx, commit);
  } catch (e) {
    // A merge commit of the queue exists in the canonical repository, maybe not (yet) here.
    if (!(e instanceof SlipwayError && e.code === 'not_found') || !ctx.canonical.exists()) throw e;
    loaded = await loadPipelineAt({ ...ctx, repo: ctx.canonical.path }, commit);
  }
  cache.set(commit, loaded.config);
  return loaded.config;
};
const cache = new Map<string, SlipwayConfig>();

/** The runtime spec of a release in an environment. */
export const instanceSpec = (config: SlipwayConfig, release: Release, vars: Record<string, string> = {}): InstanceSpec => {
  const env = environmentOf(config, release.env);
  if (!config.run.command) throw new SlipwayError('config', 'slipway.yaml has no `run.command`: Slipway does not know how to start the app', 'add `run: { command: … }` (PORT is injected)');
  return {
    env: release.env,
    release: release.number,
    digest: release.digest,
    ...(env.runtime === undefined ? {} : { runtime: env.runtime }),
    ...(release.image === undefined ? {} : { image: release.image }),
    command: config.run.command,
    instances: env.instances ?? config.run.instances,
    vars,
    health: config.run.health,
    stopGraceMs: config.run.stopGraceMs,
    ...(config.retention === undefined ? {} : { logMaxBytes: config.retention.logMaxBytes }),
  };
};
