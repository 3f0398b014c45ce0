// `slipway config set|unset|list|import ENV …`: the non-secret configuration of an environment.
// Each change is a new config version and, for an environment that runs, a new release.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import type { ConfigChange } from '../../core/secrets/config-versions.js';
import type { ChangeResult, ConfigEntry } from '../../engine/envconfig/changes.js';
import { formatDotenvError, parseDotenv } from '../../secrets/dotenv.js';
import type { CommandSpec } from '../args.js';
import { parseCommand } from '../args.js';
import { deployChange, envArg, parseAssignment } from '../config-change.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'config',
  usage: 'slipway config set ENV KEY=VALUE… | unset ENV KEY… | list ENV | import ENV FILE  [--allow-unsafe] [--no-deploy] [--json]',
  options: {
    'allow-unsafe': { type: 'boolean', description: 'accept loader and injection variables (LD_*, NODE_OPTIONS, PATH…; docs/security.md); recorded in the audit trail' },
    'no-deploy': { type: 'boolean', description: 'record the change only; the next deployment of the environment includes it' },
  },
  details:
    'Config values are not secret: they are stored and shown in full (use `slipway secrets` for secrets;\n' +
    'values that look like credentials are refused). They reach the app as environment variables.\n' +
    'slipway.yaml may give defaults under environments.<env>.env; `config set` overrides them.\n' +
    'When the environment runs a release, each change makes a new release of the same digest with\n' +
    'the new config version, deployed and verified like any other (trigger "config"); `slipway rollback`\n' +
    'goes back to the previous release and the config it ran with.\n' +
    '`import` reads a dotenv file (KEY=value, export, quotes, comments); a file with any error changes nothing.\n' +
    'Variables that change which code a process loads (LD_*, NODE_OPTIONS, PATH, BASH_ENV…) are refused\n' +
    'unless --allow-unsafe is given; __proto__, constructor and prototype are always refused.\n' +
    'Exit codes: 0 done, 1 the deployment of the change failed (rolled back), 2 bad usage, 3 locked.',
};

const SUBCOMMANDS = ['set', 'unset', 'list', 'import'];

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const sub = positionals[0];
  if (!sub || !SUBCOMMANDS.includes(sub)) {
    throw new SlipwayError('usage', sub ? `unknown subcommand "config ${sub}"` : 'set, unset, list or import?', `usage: ${spec.usage}`);
  }
  const json = values.json === true;
  const env = envArg(positionals, `config ${sub}`);
  const args = positionals.slice(2);
  if (sub === 'list') {
    if (args.length > 0) throw new SlipwayError('usage', `slipway config list: unexpected argument "${args[0] ?? ''}"`, `usage: slipway config list ENV [--json]`);
    return list(ctx, env, json);
  }
  let changes: ConfigChange[];
  if (sub === 'set') {
    if (args.length === 0) throw new SlipwayError('usage', 'slipway config set: give at least one KEY=VALUE', 'e.g. `slipway config set staging LOG_LEVEL=debug`');
    changes = args.map((a) => ({ op: 'set' as const, ...parseAssignment(a, 'KEY') }));
  } else if (sub === 'unset') {
    if (args.length === 0) throw new SlipwayError('usage', 'slipway config unset: give at least one KEY', 'e.g. `slipway config unset staging LOG_LEVEL`');
    changes = args.map((key) => ({ op: 'unset' as const, key }));
  } else {
    changes = readDotenv(ctx, args);
  }
  const client = await ctx.client();
  const body = {
    set: Object.fromEntries(changes.flatMap((c) => (c.op === 'set' ? [[c.key, c.value]] : []))),
    unset: changes.flatMap((c) => (c.op === 'unset' ? [c.key] : [])),
    ...(values['allow-unsafe'] === true ? { allow_unsafe: true } : {}),
  };
  const { change } = await client.request<{ change: ChangeResult }>('POST', `/v1/config/${encodeURIComponent(env)}`, body);
  if (!json && change.changed) ctx.out(`changed: ${change.changedKeys.join(', ')}\n`);
  return deployChange(ctx, change, 'config', { json, noDeploy: values['no-deploy'] === true });
};

/** Reads and parses the dotenv file of `config import`; any error stops before anything is sent. */
const readDotenv = (ctx: CliContext, args: string[]): ConfigChange[] => {
  const [file, extra] = args;
  if (!file || extra !== undefined) throw new SlipwayError('usage', 'slipway config import: give one FILE', 'e.g. `slipway config import staging .env.staging`');
  let text: string;
  try {
    text = readFileSync(resolve(ctx.cwd, file), 'utf8');
  } catch (e) {
    throw new SlipwayError('usage', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const parsed = parseDotenv(text, file);
  if (!parsed.ok) {
    throw new SlipwayError('usage', `${file} is not a valid dotenv file; nothing was changed:\n${parsed.errors.map((e) => `  ${formatDotenvError(e)}`).join('\n')}`, 'fix the lines above and import again');
  }
  if (parsed.entries.length === 0) throw new SlipwayError('usage', `${file} holds no KEY=value line; nothing was changed`);
  return parsed.entries.map((e) => ({ op: 'set' as const, key: e.key, value: e.value }));
};

const list = async (ctx: CliContext, env: string, json: boolean): Promise<number> => {
  const r = await (await ctx.client()).request<{ env: string; version: number; updatedAt: string | null; updatedBy: string | null; values: ConfigEntry[]; running: { release: number; configVersion: number } | null }>(
    'GET',
    `/v1/config/${encodeURIComponent(env)}`,
  );
  if (json) {
    ctx.out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  ctx.out(`${env}: config version ${r.version}${r.updatedAt ? ` (${r.updatedAt.replace('T', ' ').slice(0, 19)} by ${r.updatedBy ?? '?'})` : ''}`);
  ctx.out(r.running ? `; v${r.running.release} runs with config version ${r.running.configVersion}${r.running.configVersion !== r.version ? ' (not yet deployed)' : ''}\n` : '; nothing deployed\n');
  if (r.values.length === 0) {
    ctx.out('no config values (set one with `slipway config set ENV KEY=VALUE`)\n');
    return 0;
  }
  ctx.out(table(['KEY', 'VALUE', 'SOURCE'], r.values.map((v) => [v.key, v.value.includes('\n') ? JSON.stringify(v.value) : v.value, v.source])));
  return 0;
};
