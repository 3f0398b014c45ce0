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

/**
 * The config of the commit a release was built from (cached: commits never change). The cache is
 * bounded — it lives as long as the control plane, and every deployed commit would otherwise stay
 * in it for good (a long-lived server deploys thousands) — and keeps the most recently used ones:
 * the current and previous releases of each environment, which every deploy and rollback reads.
 */
export const configAt = async (ctx: EngineContext, commit: string): Promise<SlipwayConfig> => {
  const cached = cache.get(commit);
  if (cached) {
    cache.delete(commit); // most recently used last
    cache.set(commit, cached);
    return cached;
  }
  let loaded;
  try {
    loaded = await loadPipelineAt(ctx, commit);
  } catch (e) {
    // A merge commit of the queue exists in the canonical repository, maybe not (yet) here.
    if (!(e instanceof SlipwayError && e.code === 'not_found') || !ctx.canonical.exists()) throw e;
    loaded = await loadPipelineAt({ ...ctx, repo: ctx.canonical.path }, commit);
  }
  cache.set(commit, loaded.config);
  while (cache.size > CONFIG_CACHE_MAX) cache.delete(cache.keys().next().value as string);
  return loaded.config;
};
/** Most commits whose config configAt keeps (least recently used go first). */
export const CONFIG_CACHE_MAX = 64;
const cache = new Map<string, SlipwayConfig>();
/** How many configs are cached now (for the test that the cache stays bounded). */
export const configCacheSize = (): number => cache.size;

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
    ...(env.hosts === undefined ? {} : { hosts: env.hosts, onHostDown: env.onHostDown ?? 'rollback' }),
    command: config.run.command,
    instances: env.instances ?? config.run.instances,
    vars,
    health: config.run.health,
    stopGraceMs: config.run.stopGraceMs,
    ...(config.retention === undefined ? {} : { logMaxBytes: config.retention.logMaxBytes }),
  };
};
