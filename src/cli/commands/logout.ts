// `slipway logout`: forget the server `slipway login` stored; the CLI is back in local mode.
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { loginFile, removeLogin } from '../remote-config.js';

export const spec: CommandSpec = {
  name: 'logout',
  usage: 'slipway logout',
  options: {},
  details: 'Deletes the stored login (the token with it). SLIPWAY_SERVER, when set, still wins.',
};

export const run = (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const removed = removeLogin(ctx.env);
  if (values.json) ctx.out(`${JSON.stringify({ loggedOut: removed, file: loginFile(ctx.env) })}\n`);
  else ctx.out(removed ? `logged out: ${loginFile(ctx.env)} deleted; this CLI is in local mode again\n` : 'not logged in\n');
  return Promise.resolve(0);
};
