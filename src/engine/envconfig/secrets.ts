// The secrets use cases behind `slipway secrets`: set (creating the master key file on the first
// secret), remove, list (never values) and rotate the master key. Every change is audited by name
// and version; a value is only ever held in memory, on its way into the store or the masker.
import { SlipwayError } from '../../core/errors.js';
import { unsafeKey } from '../../core/secrets/unsafe-keys.js';
import { checkSecretValue } from '../../core/secrets/values.js';
import type { KeyRotation, SecretListing } from '../../ports/env-config.js';
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import { checkEnvironment, type ChangeResult } from './changes.js';

export interface SecretSetResult extends ChangeResult {
  name: string;
  keyId: string;
  /** The key file, when this call created it: the user must back it up. */
  createdKeyFile: string | null;
}

const currentOf = async (ctx: EngineContext, env: string): Promise<ChangeResult['current']> => {
  const n = (await ctx.store.getEnvState(env))?.currentRelease;
  return n === undefined ? null : { release: n };
};

/** `slipway secrets set ENV NAME`: a new sealed version of NAME; the value is not kept in clear. */
export const setSecret = async (ctx: EngineContext, env: string, name: string, value: Buffer, opts: { exact?: boolean; allowUnsafe?: boolean } = {}): Promise<SecretSetResult> => {
  await checkEnvironment(ctx, env, { pipeline: true });
  // A secret becomes an environment variable of the app (or a step) just like a config value.
  const unsafe = unsafeKey(name);
  if (unsafe && (unsafe.kind === 'prototype' || opts.allowUnsafe !== true)) throw new SlipwayError('usage', unsafe.message, unsafe.hint);
  // Checked before the key file could be created, so that a bad value creates nothing.
  const checked = checkSecretValue(value, opts);
  if (!checked.ok) throw new SlipwayError('usage', checked.message, checked.hint);
  const { meta, createdKeyFile } = await ctx.envConfig.setSecret(env, name, value, opts);
  ctx.crash?.at('secret.version-recorded');
  await ctx.store.appendEvent({ kind: 'secret.set', actor: ctx.actor, subject: env, data: { env, name, version: meta.version, keyId: meta.keyId, ...(unsafe ? { allowedUnsafe: [name] } : {}) } }, meta.updatedAt);
  return {
    env, name, version: meta.version, keyId: meta.keyId, changed: true, changedKeys: [name], current: await currentOf(ctx, env),
    createdKeyFile,
  };
};

/** `slipway secrets rm ENV NAME`: a tombstone version; releases that used earlier versions keep them. */
export const removeSecret = async (ctx: EngineContext, env: string, name: string): Promise<ChangeResult & { name: string }> => {
  await checkEnvironment(ctx, env, { pipeline: true });
  const r = await ctx.envConfig.removeSecret(env, name);
  await ctx.store.appendEvent({ kind: 'secret.removed', actor: ctx.actor, subject: env, data: { env, name, version: r.version } }, isoNow(ctx));
  return { env, name, version: r.version, changed: true, changedKeys: [name], current: await currentOf(ctx, env) };
};

/** `slipway secrets list ENV`: names, versions, dates and key ids; needs no key. */
export const listSecrets = async (ctx: EngineContext, env: string): Promise<{ env: string; secrets: SecretListing[]; running: { release: number; secretVersions: Record<string, number> } | null }> => {
  await checkEnvironment(ctx, env, { pipeline: true });
  const secrets = await ctx.envConfig.listSecrets(env);
  const current = await currentOf(ctx, env);
  const release = current && (await ctx.store.getRelease(env, current.release));
  return { env, secrets, running: release ? { release: release.number, secretVersions: release.secretVersions } : null };
};

/**
 * `slipway secrets rotate-key`: every version of every secret re-encrypted under a new key, all
 * or nothing. A key file is replaced (the old one kept as `.retired-<key id>`); a key from
 * SLIPWAY_MASTER_KEY needs `keyOut`, a new file that receives the new key for the user to install.
 */
export const rotateMasterKey = async (ctx: EngineContext, opts: { keyOut?: string }): Promise<KeyRotation> => {
  const result = await ctx.envConfig.rotateKey(opts);
  await ctx.store.appendEvent({ kind: 'secrets.key_rotated', actor: ctx.actor, subject: 'secrets', data: { from: result.fromKeyIds, to: result.toKeyId, rewritten: result.rewritten } }, isoNow(ctx));
  return result;
};
