// `slipway deploy ENV`: release a digest (default: the latest green build) into an environment.
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';
import { startAndFollow } from '../follow-deploy.js';

export const spec: CommandSpec = {
  name: 'deploy',
  usage: 'slipway deploy ENV [--digest D] [--strategy blue-green|canary] [--force] [--continue] [--no-wait] [--detach] [--json]',
  options: {
    digest: { type: 'string', description: 'artifact to deploy (sha256:…, hex or a unique prefix)' },
    strategy: { type: 'string', description: 'blue-green or canary (default: the environment’s)' },
    force: { type: 'boolean', description: 'override promote_from, a bad-digest mark or a failed run (recorded); redeploy what already serves' },
    continue: { type: 'boolean', description: 'carry on with the deployment held in ENV (rollback: manual) past its failed verification' },
    'no-wait': { type: 'boolean', description: 'fail with exit 3 when the environment is locked, instead of waiting' },
    detach: { type: 'boolean', description: 'print the deployment id and return without following it' },
  },
  details:
    'A release (v1, v2, …) is the digest plus the environment’s config, immutable. The new instances\n' +
    'start beside the current ones; traffic moves only once they are healthy, and the previous\n' +
    'release stays warm so that `slipway rollback` is a pointer swap. Ctrl-C cancels the deployment.\n' +
    'Without --digest: the build of the newest commit (HEAD), named with its run; refused when that\n' +
    'commit failed its run. The digest and config that already serve: nothing to do (exit 0).\n' +
    'With `rollback: manual`, a release that fails its verification is held: it keeps serving at its\n' +
    'step; `slipway rollback ENV` undoes it, `--continue` carries on. Deploys to ENV are refused meanwhile.\n' +
    'Exit codes: 0 succeeded, 1 failed, rolled back or held, 3 locked (--no-wait), 4 refused by policy.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const env = positionals[0];
  if (!env) throw new SlipwayError('usage', 'which environment?', 'e.g. `slipway deploy staging`');
  if (values.continue === true) {
    const extra = (['digest', 'strategy', 'force'] as const).filter((k) => values[k] !== undefined);
    if (extra.length > 0) throw new SlipwayError('usage', `--continue carries on the held deployment as it was planned: it takes no --${extra.join(', --')}`);
    return startAndFollow(ctx, '/v1/continuations', { env }, { json: values.json === true, noWait: values['no-wait'] === true, detach: values.detach === true });
  }
  const strategy = stringOpt(values, 'strategy');
  if (strategy !== undefined && strategy !== 'blue-green' && strategy !== 'canary') throw new SlipwayError('usage', `--strategy must be blue-green or canary, not "${strategy}"`);
  return startAndFollow(ctx, '/v1/deployments', { env, digest: stringOpt(values, 'digest'), strategy, force: values.force === true }, { json: values.json === true, noWait: values['no-wait'] === true, detach: values.detach === true });
};
