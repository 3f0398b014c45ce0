// The config use cases behind `slipway config`, `slipway env` and the redeploy that turns a change
// into a release: record a new version (retrying if another writer took the number), audit it,
// and tell the caller whether a running environment now differs from what it runs.
import { parse as parseYaml } from 'yaml';
import { SlipwayError } from '../../core/errors.js';
import { applyConfigChanges, type ConfigChange, type ConfigIssue } from '../../core/secrets/config-versions.js';
import { checkEnvName } from '../../core/env-name.js';
import { unsafeChanges, unsafeKey } from '../../core/secrets/unsafe-keys.js';
import { applySettingsChanges, effectiveSettings, type EffectiveSetting, type SettingChange } from '../../core/settings/settings.js';
import type { SlipwayConfig } from '../../config/types.js';
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import type { DeployHandle, Deployer } from '../deploy/deploy.js';
import { loadPipelineAt } from '../run/pipeline.js';
import { PIPELINE_ENV } from '../../core/secrets/names.js';
import { sameSnapshot } from './release.js';

const ATTEMPTS = 5;

/** What a recorded change means for the environment. */
export interface ChangeResult {
  env: string;
  version: number;
  changed: boolean;
  changedKeys: string[];
  /** The release serving now, which a redeploy would replace; null when nothing is deployed. */
  current: { release: number } | null;
}

const usageOf = (errors: ConfigIssue[]): SlipwayError =>
  new SlipwayError('usage', errors.map((e) => e.message).join('\n'), errors.find((e) => e.hint)?.hint, { errors: errors.map((e) => ({ key: e.key, message: e.message, hint: e.hint ?? null })) });

/** The slipway.yaml at HEAD, or undefined when there is none that loads. */
const headConfig = async (ctx: EngineContext): Promise<{ config: SlipwayConfig; text: string } | undefined> => {
  try {
    const p = await loadPipelineAt(ctx, 'HEAD');
    return { config: p.config, text: p.text };
  } catch {
    return undefined;
  }
};

/**
 * Checks that `env` is an environment this app has: declared in slipway.yaml at HEAD, or with
 * releases. `ci` (pipeline secrets) is accepted only where `pipeline` is true.
 */
export const checkEnvironment = async (ctx: EngineContext, env: string, opts: { pipeline?: boolean } = {}): Promise<void> => {
  const name = checkEnvName(env);
  if (!name.ok) throw new SlipwayError('usage', name.message, name.hint);
  if (env === PIPELINE_ENV) {
    if (opts.pipeline) return;
    throw new SlipwayError('usage', `"${PIPELINE_ENV}" holds the pipeline's secrets only; it has no config or settings`, 'give pipeline steps non-secret variables with `env:` on the step in slipway.yaml');
  }
  const head = await headConfig(ctx);
  const declared = head?.config.environments.map((e) => e.name) ?? [];
  if (declared.includes(env) || (await ctx.store.listReleases(env)).length > 0) return;
  throw new SlipwayError('not_found', `unknown environment "${env}"`, declared.length ? `environments in slipway.yaml: ${declared.join(', ')}${opts.pipeline ? `, and "${PIPELINE_ENV}" for pipeline secrets` : ''}` : 'declare it under `environments:` in slipway.yaml and commit it');
};

const currentOf = async (ctx: EngineContext, env: string): Promise<ChangeResult['current']> => {
  const n = (await ctx.store.getEnvState(env))?.currentRelease;
  return n === undefined ? null : { release: n };
};

/** The slipway.yaml a redeploy of `env` would run with: its current release's, else HEAD's. */
const yamlOf = async (ctx: EngineContext, env: string): Promise<{ config: SlipwayConfig; text: string } | undefined> => {
  const current = await currentOf(ctx, env);
  const release = current && (await ctx.store.getRelease(env, current.release));
  if (release) {
    const p = await loadPipelineAt(ctx, release.commit);
    return { config: p.config, text: p.text };
  }
  return headConfig(ctx);
};

/**
 * `slipway config set/unset/import`: a new config version of `env`, or none when nothing changes.
 * `allowUnsafe` lets loader and injection variables through; the event names the ones it let in.
 */
export const changeConfig = async (ctx: EngineContext, env: string, changes: ConfigChange[], opts: { allowUnsafe?: boolean } = {}): Promise<ChangeResult> => {
  await checkEnvironment(ctx, env);
  const unsafe = unsafeChanges(changes, { allowUnsafe: opts.allowUnsafe === true });
  if (unsafe.length > 0) throw usageOf(unsafe);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const latest = await ctx.envConfig.store.latestConfig(env);
    const r = applyConfigChanges(latest, changes, { at: isoNow(ctx), actor: ctx.actor, env });
    if (!r.ok) throw usageOf(r.errors);
    if (!r.changed) return { env, version: latest?.version ?? 0, changed: false, changedKeys: [], current: await currentOf(ctx, env) };
    const put = await ctx.envConfig.store.putConfig(env, r.version);
    if (!put.ok) continue;
    ctx.crash?.at('config.version-recorded');
    const unsafeKeys = changes.flatMap((c) => (c.op === 'set' && unsafeKey(c.key) ? [c.key] : []));
    await ctx.store.appendEvent(
      { kind: 'config.changed', actor: ctx.actor, subject: env, data: { env, version: r.version.version, changedKeys: r.version.changedKeys, ...(unsafeKeys.length > 0 ? { allowedUnsafe: unsafeKeys } : {}) } },
      r.version.at,
    );
    ctx.crash?.at('config.changed');
    return { env, version: r.version.version, changed: true, changedKeys: r.version.changedKeys, current: await currentOf(ctx, env) };
  }
  throw new SlipwayError('conflict', `the config of ${env} is being changed by someone else`, 'try again');
};

export interface ConfigEntry {
  key: string;
  value: string;
  source: 'config' | 'slipway.yaml';
}

/** `slipway config list`: the values a redeploy would run with, each with its source. */
export const listConfig = async (ctx: EngineContext, env: string) => {
  await checkEnvironment(ctx, env);
  const latest = await ctx.envConfig.store.latestConfig(env);
  const yaml = await yamlOf(ctx, env);
  const defaults = yaml?.config.environments.find((e) => e.name === env)?.env ?? {};
  const values = new Map<string, ConfigEntry>();
  for (const [key, value] of Object.entries(defaults)) values.set(key, { key, value, source: 'slipway.yaml' });
  for (const [key, value] of Object.entries(latest?.values ?? {})) values.set(key, { key, value, source: 'config' });
  const current = await currentOf(ctx, env);
  const running = current && (await ctx.store.getRelease(env, current.release));
  return {
    env,
    version: latest?.version ?? 0,
    updatedAt: latest?.at ?? null,
    updatedBy: latest?.actor ?? null,
    values: [...values.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    running: running ? { release: running.number, configVersion: running.configVersion } : null,
  };
};

/** `slipway env set/unset`: a new settings version of `env`. */
export const changeSettings = async (ctx: EngineContext, env: string, changes: SettingChange[]): Promise<ChangeResult> => {
  await checkEnvironment(ctx, env);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const latest = await ctx.envConfig.store.latestSettings(env);
    const r = applySettingsChanges(latest, changes, { at: isoNow(ctx), actor: ctx.actor });
    if (!r.ok) throw usageOf(r.errors);
    if (!r.changed) return { env, version: latest?.version ?? 0, changed: false, changedKeys: [], current: await currentOf(ctx, env) };
    const put = await ctx.envConfig.store.putSettings(env, r.version);
    if (!put.ok) continue;
    await ctx.store.appendEvent({ kind: 'settings.changed', actor: ctx.actor, subject: env, data: { env, version: r.version.version, changedKeys: r.version.changedKeys, values: r.version.values } }, r.version.at);
    return { env, version: r.version.version, changed: true, changedKeys: r.version.changedKeys, current: await currentOf(ctx, env) };
  }
  throw new SlipwayError('conflict', `the settings of ${env} are being changed by someone else`, 'try again');
};

/** Whether slipway.yaml's text gives a value at `path` explicitly (not left to a default). */
const yamlHas = (text: string | undefined) => {
  let data: unknown;
  try {
    data = text === undefined ? undefined : parseYaml(text, { merge: true });
  } catch {
    data = undefined;
  }
  return (path: readonly string[]): boolean => {
    let v: unknown = data;
    for (const p of path) {
      if (v === null || typeof v !== 'object' || !(p in v)) return false;
      v = (v as Record<string, unknown>)[p];
    }
    return v !== undefined && v !== null;
  };
};

/** `slipway env show`: every setting's effective value and where it comes from. */
export const showSettings = async (ctx: EngineContext, env: string): Promise<{ env: string; version: number; settings: EffectiveSetting[]; running: { release: number; settingsVersion: number } | null }> => {
  await checkEnvironment(ctx, env);
  const yaml = await yamlOf(ctx, env);
  if (!yaml) throw new SlipwayError('config', 'there is no valid slipway.yaml at HEAD to take the defaults from', 'commit a slipway.yaml (`slipway init`)');
  const latest = await ctx.envConfig.store.latestSettings(env);
  const state = await ctx.store.getEnvState(env);
  const current = state?.currentRelease === undefined ? undefined : await ctx.store.getRelease(env, state.currentRelease);
  return {
    env,
    version: latest?.version ?? 0,
    settings: effectiveSettings(yaml.config, env, latest, yamlHas(yaml.text), state?.port),
    running: current ? { release: current.number, settingsVersion: current.settingsVersion ?? 0 } : null,
  };
};

export type RedeployResult = { deployment: DeployHandle['deployment']; handle: DeployHandle } | { deployment: null; reason: string };

/**
 * Makes a config change live: a new release of the current digest and commit with the
 * environment's config, settings and secret versions of now, deployed and verified like any
 * other (trigger `config`). Nothing happens when nothing is deployed or the release is current.
 */
export const redeploy = async (ctx: EngineContext, deployer: Deployer, env: string): Promise<RedeployResult> => {
  await checkEnvironment(ctx, env);
  const current = await currentOf(ctx, env);
  const release = current && (await ctx.store.getRelease(env, current.release));
  if (!release) return { deployment: null, reason: `nothing is deployed to ${env}; the change takes effect at its first deployment` };
  if (sameSnapshot(release, await ctx.envConfig.snapshot(env))) {
    return { deployment: null, reason: `${env} already runs v${release.number} with this config` };
  }
  const handle = await deployer.deploy({ env, digest: release.digest, commit: release.commit, trigger: 'config' });
  return { deployment: handle.deployment, handle };
};
