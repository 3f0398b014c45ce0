// `slipway env set|unset|show ENV …`: an environment's infrastructure settings (port, instances,
// health timeouts…), which override slipway.yaml and are versioned and released like config.
import { SlipwayError } from '../../core/errors.js';
import { SETTING_KEYS, describeSetting, type EffectiveSetting } from '../../core/settings/settings.js';
import type { ChangeResult } from '../../engine/envconfig/changes.js';
import type { CommandSpec } from '../args.js';
import { parseCommand } from '../args.js';
import { deployChange, envArg, parseAssignment } from '../config-change.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'env',
  usage: 'slipway env set ENV KEY=VALUE… | unset ENV KEY… | show ENV  [--no-deploy] [--json]',
  options: {
    'no-deploy': { type: 'boolean', description: 'record the change only; the next deployment of the environment includes it' },
  },
  details: [
    'Settings (override slipway.yaml; `unset` goes back to it):',
    ...SETTING_KEYS.map((k) => `  ${k.padEnd(16)} ${describeSetting(k)}`),
    'Durations are written 500ms, 30s, 2m (or a number of milliseconds).',
    '`show` prints each effective value and where it comes from: default, slipway.yaml or env set.',
    'Exit codes: 0 done, 1 the deployment of the change failed (rolled back), 2 bad usage, 3 locked.',
  ].join('\n'),
};

const SUBCOMMANDS = ['set', 'unset', 'show'];

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const sub = positionals[0];
  if (!sub || !SUBCOMMANDS.includes(sub)) {
    throw new SlipwayError('usage', sub ? `unknown subcommand "env ${sub}"` : 'set, unset or show?', `usage: ${spec.usage}`);
  }
  const json = values.json === true;
  const env = envArg(positionals, `env ${sub}`);
  const args = positionals.slice(2);
  const client = await ctx.client();
  if (sub === 'show') {
    if (args.length > 0) throw new SlipwayError('usage', `slipway env show: unexpected argument "${args[0] ?? ''}"`, 'usage: slipway env show ENV [--json]');
    const r = await client.request<{ env: string; version: number; settings: EffectiveSetting[]; running: { release: number; settingsVersion: number } | null }>('GET', `/v1/settings/${encodeURIComponent(env)}`);
    if (json) {
      ctx.out(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    ctx.out(`${env}: settings version ${r.version}${r.running ? `; v${r.running.release} runs with settings version ${r.running.settingsVersion}${r.running.settingsVersion !== r.version ? ' (not yet deployed)' : ''}` : '; nothing deployed'}\n`);
    ctx.out(table(['SETTING', 'VALUE', 'SOURCE', 'FROM'], r.settings.map((s) => [s.key, s.display, s.source, s.from])));
    return 0;
  }
  if (args.length === 0) throw new SlipwayError('usage', `slipway env ${sub}: give at least one ${sub === 'set' ? 'KEY=VALUE' : 'KEY'}`, sub === 'set' ? 'e.g. `slipway env set production instances=2 health_timeout=3s`' : 'e.g. `slipway env unset production instances`');
  const body =
    sub === 'set'
      ? { set: Object.fromEntries(args.map((a) => { const { key, value } = parseAssignment(a, 'KEY'); return [key, value]; })) }
      : { unset: args };
  if (sub === 'set' && Object.keys(body.set ?? {}).length !== args.length) throw new SlipwayError('usage', 'a setting is given twice', 'give each setting once');
  const { change } = await client.request<{ change: ChangeResult }>('POST', `/v1/settings/${encodeURIComponent(env)}`, body);
  if (!json && change.changed) ctx.out(`changed: ${change.changedKeys.join(', ')}\n`);
  return deployChange(ctx, change, 'settings', { json, noDeploy: values['no-deploy'] === true });
};
