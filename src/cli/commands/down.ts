// `slipway down`: stop every instance and the edge proxy, keeping all recorded state.
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'down',
  usage: 'slipway down [--json]',
  options: {},
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const { down } = await (await ctx.client()).request<{ down: { stopped: number; ms: number } }>('POST', '/v1/down');
  ctx.out(values.json ? `${JSON.stringify(down)}\n` : `stopped ${down.stopped} instance(s) and the proxy in ${(down.ms / 1000).toFixed(2)}s; \`slipway up\` brings them back\n`);
  return 0;
};
