// `slipway runs [-n N]`: the last pipeline runs, newest first.
import type { RunRecord } from '../../core/run.js';
import type { CommandSpec } from '../args.js';
import { intOpt, noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'runs',
  usage: 'slipway runs [-n N] [--json]',
  options: { n: { type: 'string', short: 'n', description: 'how many runs', default: '10' } },
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const args = parseCommand(spec, argv);
  const { values, positionals } = args;
  noExtraPositionals(spec, positionals, 0);
  const n = intOpt(args, 'n', 10);
  const { runs } = await (await ctx.client()).request<{ runs: RunRecord[] }>('GET', `/v1/runs?limit=${n}`);
  if (values.json) {
    ctx.out(`${JSON.stringify(runs, null, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    ctx.out('no runs yet: start one with `slipway run`\n');
    return 0;
  }
  ctx.out(
    table(
      ['RUN', 'STATUS', 'COMMIT', 'TRIGGER', 'STARTED', 'TOOK', 'ARTIFACT', 'MESSAGE'],
      runs.map((r) => [
        r.id,
        r.status,
        r.commit.slice(0, 10),
        r.trigger,
        (r.startedAt ?? r.createdAt).replace('T', ' ').slice(0, 19),
        r.startedAt && r.finishedAt ? `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)}s` : '',
        r.digest ? r.digest.slice(0, 19) : '',
        r.message.slice(0, 40),
      ]),
    ),
  );
  return 0;
};
