// The API of config, infrastructure settings and secrets. A secret value arrives in a request
// body (loopback, token-authenticated) and is never part of any answer.
import { SlipwayError } from '../core/errors.js';
import type { ConfigChange } from '../core/secrets/config-versions.js';
import type { Engine } from '../engine/engine.js';
import { changeConfig, changeSettings, listConfig, redeploy, showSettings } from '../engine/envconfig/changes.js';
import { listSecrets, removeSecret, rotateMasterKey, setSecret } from '../engine/envconfig/secrets.js';
import * as z from 'zod';
import { Reply, optionalBoolean, optionalString, type Router } from './http.js';

const objectBody = (body: unknown): Record<string, unknown> => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SlipwayError('usage', 'request body must be a JSON object');
  return body as Record<string, unknown>;
};

/**
 * Reads `{ set: { KEY: "value" }, unset: ["KEY"] }` into changes, in that order. Values are
 * never repeated in an error (a misplaced secret must not travel further). `extra` names the
 * other fields the route reads itself (`allow_unsafe` of the config route).
 */
export const parseChanges = (raw: unknown, extra: readonly string[] = []): ConfigChange[] => {
  const body = objectBody(raw);
  for (const k of Object.keys(body)) {
    if (k !== 'set' && k !== 'unset' && !extra.includes(k)) throw new SlipwayError('usage', `unknown field "${k}"; expected ${['"set"', '"unset"', ...extra.map((e) => `"${e}"`)].join(', ')}`);
  }
  const set = body.set ?? {};
  const unset = body.unset ?? [];
  if (set === null || typeof set !== 'object' || Array.isArray(set)) throw new SlipwayError('usage', '"set" must be an object of KEY: "value"');
  if (!Array.isArray(unset) || !unset.every((k): k is string => typeof k === 'string')) throw new SlipwayError('usage', '"unset" must be a list of keys');
  const changes: ConfigChange[] = [];
  for (const [key, value] of Object.entries(set as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new SlipwayError('usage', `the value of ${key} must be a string`);
    changes.push({ op: 'set', key, value });
  }
  for (const key of unset) changes.push({ op: 'unset', key });
  if (changes.length === 0) throw new SlipwayError('usage', 'nothing to change: give "set" or "unset"');
  return changes;
};

/** The secret value of a `PUT /v1/secrets/:env/:name` body: base64 of the exact bytes read from stdin. */
export const parseSecretBody = (raw: unknown): { value: Buffer; exact: boolean; allowUnsafe: boolean } => {
  const body = objectBody(raw);
  const b64 = body.value_base64;
  if (typeof b64 !== 'string' || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    throw new SlipwayError('usage', '"value_base64" must be the value in base64', 'the CLI reads the value from stdin: `slipway secrets set ENV NAME`');
  }
  return { value: Buffer.from(b64, 'base64'), exact: optionalBoolean(body, 'exact'), allowUnsafe: optionalBoolean(body, 'allow_unsafe') };
};

const changes = {
  set: z.record(z.string(), z.string()).optional().describe('KEY: "value" pairs to set'),
  unset: z.array(z.string()).optional().describe('Keys to remove'),
};
const allowUnsafe = z.boolean().optional().describe('Accept a value that looks like a secret (it is still masked)');

export const addConfigRoutes = (r: Router, engine: Engine): void => {
  const { ctx } = engine;
  const param = (p: Record<string, string>, k: string): string => p[k] ?? '';

  r.on('GET', '/v1/config/:env', async (req) => listConfig(ctx, param(req.params, 'env')), { summary: "An environment's config values and versions" });
  r.on('POST', '/v1/config/:env', async (req) => {
    const body = await req.body();
    const changes = parseChanges(body, ['allow_unsafe']);
    return { change: await changeConfig(ctx, param(req.params, 'env'), changes, { allowUnsafe: optionalBoolean(body, 'allow_unsafe') }) };
  }, {
    summary: "Change an environment's config (a new config version)",
    role: 'admin',
    body: z.strictObject({ ...changes, allow_unsafe: allowUnsafe }),
  });

  r.on('GET', '/v1/settings/:env', async (req) => showSettings(ctx, param(req.params, 'env')), { summary: "An environment's infrastructure settings in effect" });
  r.on('POST', '/v1/settings/:env', async (req) => ({ change: await changeSettings(ctx, param(req.params, 'env'), parseChanges(await req.body())) }), {
    summary: "Change an environment's infrastructure settings",
    role: 'admin',
    body: z.strictObject(changes),
  });

  r.on('GET', '/v1/secrets/:env', async (req) => listSecrets(ctx, param(req.params, 'env')), { summary: "An environment's secrets: names and versions, never values", role: 'admin' });
  r.on('PUT', '/v1/secrets/:env/:name', async (req) => {
    const { value, exact, allowUnsafe } = parseSecretBody(await req.body());
    return { change: await setSecret(ctx, param(req.params, 'env'), param(req.params, 'name'), value, { exact, allowUnsafe }) };
  }, {
    summary: 'Set a secret (encrypted at rest; the value is never in any answer)',
    role: 'admin',
    body: z.strictObject({
      value_base64: z.string().describe('The exact bytes of the value, in base64'),
      exact: z.boolean().optional().describe('Keep a trailing newline'),
      allow_unsafe: allowUnsafe,
    }),
  });
  r.on('DELETE', '/v1/secrets/:env/:name', async (req) => ({ change: await removeSecret(ctx, param(req.params, 'env'), param(req.params, 'name')) }), { summary: 'Remove a secret', role: 'admin' });
  r.on('POST', '/v1/master-key/rotate', async (req) => ({ rotation: await rotateMasterKey(ctx, { keyOut: optionalString(await req.body(), 'key_out') }) }), {
    summary: 'Encrypt every secret again under a new master key',
    role: 'admin',
    body: z.strictObject({ key_out: z.string().min(1).optional().describe('Where to write the new key (needed when the key comes from SLIPWAY_MASTER_KEY)') }),
  });

  r.on('POST', '/v1/environments/:env/redeploy', async (req) => {
    const out = await redeploy(ctx, engine.deployer, param(req.params, 'env'));
    return out.deployment ? new Reply(202, { deployment: out.deployment }) : { deployment: null, reason: out.reason };
  }, { summary: "Deploy an environment's current release again with its newest config, settings and secrets", status: 202 });
};
