// `slipway secrets set|rm|list ENV …` and `secrets rotate-key`: secrets, encrypted at rest by the
// control plane. A value is read from stdin only (never an argument: it would stay in the shell
// history and in `ps`), sent once over the loopback API, and never printed back.
import { SlipwayError } from '../../core/errors.js';
import { checkSecretName } from '../../core/secrets/names.js';
import { unsafeKey } from '../../core/secrets/unsafe-keys.js';
import { checkSecretValue } from '../../core/secrets/values.js';
import type { ChangeResult } from '../../engine/envconfig/changes.js';
import type { SecretSetResult } from '../../engine/envconfig/secrets.js';
import type { SecretListing } from '../../secrets/service.js';
import type { CommandSpec } from '../args.js';
import { parseCommand, stringOpt } from '../args.js';
import { deployChange, envArg } from '../config-change.js';
import type { CliContext } from '../context.js';
import { readSecretInput } from '../secret-input.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'secrets',
  usage: 'slipway secrets set ENV NAME [--exact] [--allow-unsafe] | rm ENV NAME | list ENV | rotate-key [--key-out FILE]  [--no-deploy] [--json]',
  options: {
    exact: { type: 'boolean', description: 'keep the value exactly as read (by default one trailing newline is removed)' },
    'no-deploy': { type: 'boolean', description: 'record the change only; the next deployment of the environment includes it' },
    'allow-unsafe': { type: 'boolean', description: 'accept a loader or injection variable name (LD_*, NODE_OPTIONS, PATH…; docs/security.md)' },
    'key-out': { type: 'string', description: 'rotate-key with SLIPWAY_MASTER_KEY: a new file (0600) that receives the new key' },
  },
  details:
    '`set` reads the value from stdin: `printf %s "$TOKEN" | slipway secrets set production API_TOKEN`, or\n' +
    'type it at the prompt (not echoed). Names are upper-case variable names (DATABASE_URL).\n' +
    'Secrets of an environment reach only its app processes, as environment variables. Pipeline steps\n' +
    'get the secrets they declare (`secrets: [NAME]` on a step or the build) from the environment "ci":\n' +
    '`slipway secrets set ci NPM_TOKEN`. Values are masked in every log Slipway writes or shows.\n' +
    'The master key: SLIPWAY_MASTER_KEY, or a key file created (0600) on the first `secrets set` under\n' +
    '~/.config/slipway/keys/ — back it up; without it the secrets cannot be read. `rotate-key`\n' +
    're-encrypts every version under a new key. A change to a running environment is a new release\n' +
    '(same digest), deployed and verified; releases record secret versions, never values.\n' +
    'Exit codes: 0 done, 1 the deployment of the change failed, 2 bad usage, 3 locked, 4 wrong key or damaged record.',
};

const SUBCOMMANDS = ['set', 'rm', 'list', 'rotate-key'];

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const sub = positionals[0];
  if (!sub || !SUBCOMMANDS.includes(sub)) {
    throw new SlipwayError('usage', sub ? `unknown subcommand "secrets ${sub}"` : 'set, rm, list or rotate-key?', `usage: ${spec.usage}`);
  }
  const json = values.json === true;
  const noDeploy = values['no-deploy'] === true;
  if (sub === 'rotate-key') return rotate(ctx, positionals, json, stringOpt(values, 'key-out'));
  const env = envArg(positionals, `secrets ${sub}`);
  if (sub === 'list') {
    if (positionals.length > 2) throw new SlipwayError('usage', 'slipway secrets list: unexpected argument', 'usage: slipway secrets list ENV [--json]');
    return list(ctx, env, json);
  }
  const name = nameArg(positionals, sub);
  if (sub === 'rm') {
    const { change } = await (await ctx.client()).request<{ change: ChangeResult }>('DELETE', `/v1/secrets/${encodeURIComponent(env)}/${encodeURIComponent(name)}`);
    return deployChange(ctx, change, `secret ${name} removed`, { json, noDeploy });
  }
  const exact = values.exact === true;
  const allowUnsafe = values['allow-unsafe'] === true;
  // Refused before the value is asked for, so that nobody types a secret for nothing.
  const unsafe = unsafeKey(name);
  if (unsafe && (unsafe.kind === 'prototype' || !allowUnsafe)) throw new SlipwayError('usage', `${unsafe.message}; nothing was stored`, unsafe.hint);
  const value = await readSecretInput(ctx, `value of ${name} for ${env}`);
  const checked = checkSecretValue(value, { exact });
  if (!checked.ok) throw new SlipwayError('usage', `${checked.message}; nothing was stored`, checked.hint);
  const { change } = await (await ctx.client()).request<{ change: SecretSetResult }>('PUT', `/v1/secrets/${encodeURIComponent(env)}/${encodeURIComponent(name)}`, { value_base64: value.toString('base64'), exact, ...(allowUnsafe ? { allow_unsafe: true } : {}) });
  value.fill(0);
  if (change.createdKeyFile && !json) {
    ctx.err(`created the master key file ${change.createdKeyFile} (key id ${change.keyId}).\n  → back it up somewhere apart from this machine's Slipway home: without it the secrets cannot be read.\n`);
  }
  return deployChange(ctx, change, `secret ${name} set (version ${change.version}, key id ${change.keyId})`, { json, noDeploy, extra: { name, keyId: change.keyId, createdKeyFile: change.createdKeyFile } });
};

/** NAME of set/rm: exactly one, a valid name; a third argument is refused as a value given on the command line. */
const nameArg = (positionals: string[], sub: string): string => {
  const name = positionals[2];
  if (!name) throw new SlipwayError('usage', `slipway secrets ${sub}: which secret?`, `e.g. \`slipway secrets ${sub} production DATABASE_URL\``);
  const eq = name.indexOf('=');
  if (eq > 0 || positionals.length > 3) {
    if (sub === 'set') {
      const shown = eq > 0 ? name.slice(0, eq) : name;
      throw new SlipwayError('usage', 'slipway secrets set takes the value from stdin, never as an argument (it would stay in your shell history and show in `ps`); nothing was stored', `run: slipway secrets set ${positionals[1] ?? 'ENV'} ${shown} and type the value, or pipe it: printf %s "$VALUE" | slipway secrets set ${positionals[1] ?? 'ENV'} ${shown}`);
    }
    throw new SlipwayError('usage', `slipway secrets ${sub}: one NAME only`, `usage: ${spec.usage}`);
  }
  const check = checkSecretName(name);
  if (!check.ok) throw new SlipwayError('usage', check.message, check.hint);
  return name;
};

const list = async (ctx: CliContext, env: string, json: boolean): Promise<number> => {
  const r = await (await ctx.client()).request<{ env: string; secrets: SecretListing[]; running: { release: number; secretVersions: Record<string, number> } | null }>('GET', `/v1/secrets/${encodeURIComponent(env)}`);
  if (json) {
    ctx.out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  if (r.secrets.length === 0) {
    ctx.out(`no secrets in ${env} (set one with \`slipway secrets set ${env} NAME\`)\n`);
    return 0;
  }
  const used = r.running?.secretVersions ?? {};
  ctx.out(
    table(
      ['NAME', 'VERSION', 'UPDATED', 'KEY ID', r.running ? `IN v${r.running.release}` : 'DEPLOYED'],
      r.secrets.map((s) => [s.name, String(s.version), s.updatedAt.replace('T', ' ').slice(0, 19), s.keyId, used[s.name] === undefined ? '-' : used[s.name] === s.version ? 'yes' : `version ${used[s.name]}`]),
    ),
  );
  return 0;
};

const rotate = async (ctx: CliContext, positionals: string[], json: boolean, keyOut: string | undefined): Promise<number> => {
  if (positionals.length > 1) throw new SlipwayError('usage', 'slipway secrets rotate-key takes no environment: it re-encrypts every secret of every environment', 'usage: slipway secrets rotate-key [--key-out FILE]');
  const { rotation } = await (await ctx.client()).request<{ rotation: { rewritten: number; fromKeyIds: string[]; toKeyId: string; source: string; keyFile: string | null; retiredKeyFile: string | null } }>(
    'POST',
    '/v1/master-key/rotate',
    keyOut === undefined ? {} : { key_out: keyOut },
  );
  if (json) {
    ctx.out(`${JSON.stringify(rotation, null, 2)}\n`);
    return 0;
  }
  ctx.out(`re-encrypted ${rotation.rewritten} secret version(s) from key id ${rotation.fromKeyIds.join(', ') || '(none)'} to ${rotation.toKeyId}\n`);
  if (rotation.source === 'env') ctx.out(`the new key is in ${rotation.keyFile ?? '?'}: set SLIPWAY_MASTER_KEY to it and restart the control plane (\`slipway server stop\`)\n`);
  else ctx.out(`the key file ${rotation.keyFile ?? '?'} holds the new key; the old one is kept as ${rotation.retiredKeyFile ?? '?'} — update your backup\n`);
  return 0;
};
