// A release as its processes run it: the slipway.yaml of its commit with the settings version it
// recorded laid over, and its instances' variables (yaml defaults, config version, secrets).
import type { Release } from '../../core/deployment/types.js';
import type { SlipwayConfig } from '../../config/types.js';
import { withSettings } from '../../core/settings/settings.js';
import type { InstanceSpec } from '../../ports/runtime.js';
import type { ConfigSnapshot } from '../../ports/env-config.js';
import type { EngineContext } from '../context.js';
import { configAt, environmentOf, instanceSpec } from '../deploy/spec.js';

/** The config a release runs with: its commit's slipway.yaml plus its recorded `env set` overrides. */
export const releaseConfig = async (ctx: EngineContext, release: Release): Promise<SlipwayConfig> =>
  withSettings(await configAt(ctx, release.commit), release.env, await ctx.envConfig.settingsOf(release));

/**
 * The runtime spec of a release with everything its processes receive: the exact config and
 * secret versions it recorded (so a rollback runs with the config it ran with), and the secret
 * values its instance logs mask.
 */
export const releaseSpec = async (ctx: EngineContext, release: Release, extraVars: Record<string, string> = {}): Promise<InstanceSpec> => {
  const config = await releaseConfig(ctx, release);
  const injected = await ctx.envConfig.inject(release, environmentOf(config, release.env).env ?? {});
  return { ...instanceSpec(config, release, { ...injected.vars, ...extraVars }), secretValues: injected.secretValues };
};

/** Whether a release already runs with `snap` (a config redeploy would change nothing). */
export const sameSnapshot = (release: Pick<Release, 'configVersion' | 'secretVersions' | 'settingsVersion'>, snap: ConfigSnapshot): boolean => {
  const a = Object.entries(release.secretVersions).sort(([x], [y]) => x.localeCompare(y));
  const b = Object.entries(snap.secretVersions).sort(([x], [y]) => x.localeCompare(y));
  return release.configVersion === snap.configVersion && (release.settingsVersion ?? 0) === snap.settingsVersion && JSON.stringify(a) === JSON.stringify(b);
};
