// `slipway rollback ENV [--to vN]`: back to the previous (or named) release that succeeded.
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';
import { parseReleaseArg, startAndFollow } from '../follow-deploy.js';

export const spec: CommandSpec = {
  name: 'rollback',
  usage: 'slipway rollback ENV [--to vN] [--no-wait] [--json]',
  options: {
    to: { type: 'string', description: 'the release to go back to, e.g. v3 (default: the previous successful one)' },
    'no-wait': { type: 'boolean', description: 'fail with exit 3 when the environment is locked, instead of waiting' },
    detach: { type: 'boolean', description: 'print the deployment id and return without following it' },
  },
  details:
    'A release that is still warm takes the traffic back at once (a pointer swap); otherwise it starts cold first.\n' +
    'A deployment held by `rollback: manual` is rolled back instead, as `rollback: auto` would have (exit 0 once done).',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const env = positionals[0];
  if (!env) throw new SlipwayError('usage', 'which environment?', 'e.g. `slipway rollback production`');
  return startAndFollow(ctx, '/v1/rollbacks', { env, to: parseReleaseArg(stringOpt(values, 'to')) }, { json: values.json === true, noWait: values['no-wait'] === true, detach: values.detach === true, rollingBack: true });
};
