// `slipway history ENV [-n N]`: the last deployments of an environment, newest first.
import { SlipwayError } from '../../core/errors.js';
import type { historyEntry } from '../../server/routes-deploy.js';
import type { CommandSpec } from '../args.js';
import { intOpt, noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'history',
  usage: 'slipway history ENV [-n N] [--json]',
  options: { n: { type: 'string', short: 'n', description: 'how many deployments', default: '10' } },
  details: 'JSON fields: id, env, release, digest, commit, author, trigger, status, started_at, finished_at, reason, rolled_back_to.',
};

type Entry = ReturnType<typeof historyEntry>;

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const args = parseCommand(spec, argv);
  const { values, positionals } = args;
  noExtraPositionals(spec, positionals, 1);
  const env = positionals[0];
  if (!env) throw new SlipwayError('usage', 'which environment?', 'e.g. `slipway history production -n 3`');
  const n = intOpt(args, 'n', 10);
  const { deployments } = await (await ctx.client()).request<{ deployments: Entry[] }>('GET', `/v1/deployments?env=${encodeURIComponent(env)}&limit=${n}`);
  if (values.json) {
    ctx.out(`${JSON.stringify(deployments, null, 2)}\n`);
    return 0;
  }
  ctx.out(
    table(
      ['ID', 'RELEASE', 'STATUS', 'DIGEST', 'COMMIT', 'AUTHOR', 'TRIGGER', 'STARTED', 'TOOK', 'REASON'],
      deployments.map((d) => [
        d.id,
        `v${d.release}`,
        d.status + (d.rolled_back_to ? ` → v${d.rolled_back_to}` : ''),
        d.digest.slice(0, 19),
        d.commit.slice(0, 10),
        d.author,
        d.trigger + (d.forced ? ' (forced)' : ''),
        d.started_at.replace('T', ' ').slice(0, 19),
        d.finished_at ? `${((Date.parse(d.finished_at) - Date.parse(d.started_at)) / 1000).toFixed(1)}s` : '…',
        (d.reason ?? '').split('\n')[0]?.slice(0, 70) ?? '',
      ]),
    ),
  );
  return 0;
};
