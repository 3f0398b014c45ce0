// The secrets use cases behind `slipway secrets`: set (creating the master key file on the first
// secret), remove, list (never values) and rotate the master key. Every change is audited by name
// and version; a value is only ever held in memory, on its way into the store or the masker.
import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import { unsafeKey } from '../../core/secrets/unsafe-keys.js';
import { checkSecretValue } from '../../core/secrets/values.js';
import { formatMasterKey, stageKeyRotation, MASTER_KEY_VAR } from '../../secrets/master-key.js';
import { createSecretsService, type SecretListing } from '../../secrets/service.js';
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
  const loadedBefore = ctx.envConfig.masterKey !== undefined;
  const service = await ctx.envConfig.secretsService({ create: true });
  const meta = await service.set(env, name, value, opts);
  ctx.envConfig.remember([checked.value.toString('utf8')]);
  const key = ctx.envConfig.masterKey;
  await ctx.store.appendEvent({ kind: 'secret.set', actor: ctx.actor, subject: env, data: { env, name, version: meta.version, keyId: meta.keyId, ...(unsafe ? { allowedUnsafe: [name] } : {}) } }, meta.updatedAt);
  return {
    env, name, version: meta.version, keyId: meta.keyId, changed: true, changedKeys: [name], current: await currentOf(ctx, env),
    createdKeyFile: !loadedBefore && key?.created ? (key.path ?? null) : null,
  };
};

/** `slipway secrets rm ENV NAME`: a tombstone version; releases that used earlier versions keep them. */
export const removeSecret = async (ctx: EngineContext, env: string, name: string): Promise<ChangeResult & { name: string }> => {
  await checkEnvironment(ctx, env, { pipeline: true });
  const r = await createSecretsService({ store: ctx.envConfig.secretsStore, clock: ctx.clock }).rm(env, name);
  await ctx.store.appendEvent({ kind: 'secret.removed', actor: ctx.actor, subject: env, data: { env, name, version: r.version } }, isoNow(ctx));
  return { env, name, version: r.version, changed: true, changedKeys: [name], current: await currentOf(ctx, env) };
};

/** `slipway secrets list ENV`: names, versions, dates and key ids; needs no key. */
export const listSecrets = async (ctx: EngineContext, env: string): Promise<{ env: string; secrets: SecretListing[]; running: { release: number; secretVersions: Record<string, number> } | null }> => {
  await checkEnvironment(ctx, env, { pipeline: true });
  const secrets = await createSecretsService({ store: ctx.envConfig.secretsStore }).list(env);
  const current = await currentOf(ctx, env);
  const release = current && (await ctx.store.getRelease(env, current.release));
  return { env, secrets, running: release ? { release: release.number, secretVersions: release.secretVersions } : null };
};

const inside = (dir: string, path: string): boolean => {
  const rel = relative(resolve(dir), path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** Writes a new key for a user whose key lives in SLIPWAY_MASTER_KEY: a new 0600 file, never over another. */
const writeKeyOut = async (ctx: EngineContext, path: string, key: Buffer): Promise<void> => {
  const abs = resolve(path);
  if (inside(ctx.repo, abs) || inside(ctx.home, abs)) {
    throw new SlipwayError('refused', `--key-out ${abs} is inside the repository or the Slipway home`, 'write the new key outside both, e.g. under ~/.config/slipway/');
  }
  let fh;
  try {
    fh = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SlipwayError('usage', code === 'EEXIST' ? `--key-out ${abs} already exists; it is never overwritten` : `cannot create ${abs}: ${(e as Error).message}`, 'name a new file');
  }
  try {
    await fh.writeFile(`${formatMasterKey(key)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
};

/**
 * `slipway secrets rotate-key`: every version of every secret re-encrypted under a new key, all
 * or nothing. A key file is replaced (the old one kept as `.retired-<key id>`); a key from
 * SLIPWAY_MASTER_KEY needs `keyOut`, a new file that receives the new key for the user to install.
 */
export const rotateMasterKey = async (ctx: EngineContext, opts: { keyOut?: string }) => {
  const service = await ctx.envConfig.secretsService();
  const current = ctx.envConfig.masterKey;
  if (!current) throw new SlipwayError('config', 'no master key is loaded');
  if (current.source === 'env' && !opts.keyOut) {
    throw new SlipwayError('usage', `the master key comes from ${MASTER_KEY_VAR}, so Slipway cannot install a new one itself`, 'run `slipway secrets rotate-key --key-out FILE`, then set SLIPWAY_MASTER_KEY to the key in FILE and restart the control plane (`slipway server stop`)');
  }
  const staged = await stageKeyRotation(current, ctx.home);
  if (current.source === 'env' && opts.keyOut) await writeKeyOut(ctx, opts.keyOut, staged.key);
  let result;
  try {
    result = await service.rotateKey(staged.key);
  } catch (e) {
    await staged.abandon();
    if (opts.keyOut && current.source === 'env') await unlink(resolve(opts.keyOut)).catch(() => undefined);
    throw e;
  }
  await staged.commit();
  ctx.envConfig.rotated({ ...current, key: staged.key, keyId: staged.keyId, created: false });
  await ctx.store.appendEvent({ kind: 'secrets.key_rotated', actor: ctx.actor, subject: 'secrets', data: { from: result.fromKeyIds, to: result.toKeyId, rewritten: result.rewritten } }, isoNow(ctx));
  return {
    rewritten: result.rewritten,
    fromKeyIds: result.fromKeyIds,
    toKeyId: result.toKeyId,
    source: current.source,
    keyFile: current.source === 'file' ? (current.path ?? null) : resolve(opts.keyOut ?? ''),
    retiredKeyFile: current.source === 'file' && current.path ? `${current.path}.retired-${current.keyId}` : null,
  };
};
