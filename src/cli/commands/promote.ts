// `slipway promote FROM TO`: move the digest verified in FROM to TO. Never rebuilds.
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { startAndFollow } from '../follow-deploy.js';

export const spec: CommandSpec = {
  name: 'promote',
  usage: 'slipway promote FROM TO [--force] [--no-wait] [--detach] [--json]  |  slipway promote --continue TO',
  options: {
    force: { type: 'boolean', description: 'promote although TO names another promote_from (recorded)' },
    continue: { type: 'boolean', description: 'carry on with the promotion held in TO (rollback: manual) past its failed verification' },
    'no-wait': { type: 'boolean', description: 'fail with exit 3 when TO is locked, instead of waiting' },
    detach: { type: 'boolean', description: 'print the deployment id and return without following it' },
  },
  details:
    'Refused (exit 4) when nothing succeeded in FROM, when TO takes promotions from another environment, or\n' +
    'while TO has a held deployment (rollback: manual): `slipway rollback TO` or `slipway promote --continue TO` first.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  if (values.continue === true) {
    noExtraPositionals(spec, positionals, 1);
    const env = positionals[0];
    if (!env) throw new SlipwayError('usage', 'which environment to continue?', 'e.g. `slipway promote --continue production`');
    if (values.force === true) throw new SlipwayError('usage', '--continue carries on the held promotion as it was planned: it takes no --force');
    return startAndFollow(ctx, '/v1/continuations', { env }, { json: values.json === true, noWait: values['no-wait'] === true, detach: values.detach === true });
  }
  noExtraPositionals(spec, positionals, 2);
  const [from, to] = positionals;
  if (!from || !to) throw new SlipwayError('usage', 'FROM and TO are required', 'e.g. `slipway promote staging production`');
  return startAndFollow(ctx, '/v1/promotions', { from, to, force: values.force === true }, { json: values.json === true, noWait: values['no-wait'] === true, detach: values.detach === true });
};
