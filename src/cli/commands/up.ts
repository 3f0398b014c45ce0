// `slipway up`: converge every environment to its recorded current release, from nothing.
import type { UpReport } from '../../engine/deploy/converge.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'up',
  usage: 'slipway up [--json]',
  options: {},
  details: 'Idempotent: instances that run are adopted, missing ones started, routes set, the proxy started.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const { up } = await (await ctx.client()).request<{ up: UpReport }>('POST', '/v1/up');
  if (values.json) {
    ctx.out(`${JSON.stringify(up, null, 2)}\n`);
    return 0;
  }
  for (const e of up.environments) {
    ctx.out(e.release ? `${e.env.padEnd(12)} ${e.release} ${e.digest?.slice(0, 19)} on http://127.0.0.1:${e.port}/  started ${e.started}, already running ${e.adopted}${e.note ? `; ${e.note}` : ''}\n` : `${e.env.padEnd(12)} ${e.note ?? ''}\n`);
  }
  ctx.out(`converged in ${(up.ms / 1000).toFixed(2)}s\n`);
  return 0;
};
