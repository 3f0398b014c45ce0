// `slipway approve dN` / `slipway reject dN`: a decision on a deployment awaiting approval, with an
// optional comment, both recorded in the audit trail. Approved, it is followed to its end.
import { SlipwayError } from '../core/errors.js';
import type { Verdict } from '../core/deployment/approval.js';
import type { StoredDeployment } from '../ports/store.js';
import type { CommandSpec } from './args.js';
import { noExtraPositionals, parseCommand, stringOpt } from './args.js';
import type { CliContext } from './context.js';
import { deploymentExitCode, followDeployment, summariseDeployment } from './follow-deploy.js';

const DETAILS =
  'Only a deployment in `awaiting_approval` (an environment with `approval: required`) can be\n' +
  'decided, and not by the person who asked for it: the actor is the name of the token the CLI\n' +
  'uses, the home’s owner by default. A second person uses their own token: `slipway tokens create\n' +
  '--name bob --role deploy`, then `SLIPWAY_TOKEN=slw_… slipway approve dN`. Of two decisions at\n' +
  'once, one wins; the other is refused (exit 3).';

export const decideSpec = (verdict: Verdict): CommandSpec => ({
  name: verdict,
  usage: `slipway ${verdict} dN [--comment TEXT]${verdict === 'approve' ? ' [--detach]' : ''} [--json]`,
  options: {
    comment: { type: 'string', description: 'why, recorded with the decision in the audit trail (at most 1000 characters)' },
    ...(verdict === 'approve' ? { detach: { type: 'boolean' as const, description: 'print the deployment id and return without following it' } } : {}),
  },
  details:
    (verdict === 'approve'
      ? 'The deployment starts at once and is followed to its end (exit as `slipway deploy`: 0 succeeded, 1 failed or held).\n'
      : 'The deployment never starts; its release is never served.\n') + DETAILS,
});

export const runDecision = async (verdict: Verdict, ctx: CliContext, argv: string[]): Promise<number> => {
  const spec = decideSpec(verdict);
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const raw = positionals[0];
  if (!raw) throw new SlipwayError('usage', 'which deployment?', `e.g. \`slipway ${verdict} d12\` (see \`slipway status\`)`);
  const m = /^d?(\d+)$/.exec(raw.trim());
  if (!m) throw new SlipwayError('usage', `"${raw}" is not a deployment id`, `name it as d12 or 12 (see \`slipway status\`)`);
  const id = `d${m[1]}`;
  const comment = stringOpt(values, 'comment');
  const client = await ctx.client();
  const { deployment } = await client.request<{ deployment: StoredDeployment }>('POST', `/v1/deployments/${id}/${verdict}`, comment === undefined ? {} : { comment });
  const json = values.json === true;
  if (verdict === 'reject') {
    ctx.out(json ? `${JSON.stringify(deployment, null, 2)}\n` : `✖ ${deployment.id} rejected: ${deployment.env} keeps what it serves (${deployment.reason ?? ''})\n`);
    return 0;
  }
  if (values.detach === true) {
    ctx.out(json ? `${JSON.stringify({ deployment })}\n` : `${deployment.id}\n`);
    return 0;
  }
  if (!json) ctx.out(`${deployment.id} approved: v${deployment.release} deploys to ${deployment.env}\n`);
  const end = await followDeployment(ctx, deployment.id, { json, summaryFollows: !json });
  if (json) ctx.out(`${JSON.stringify(end, null, 2)}\n`);
  else summariseDeployment(ctx, end);
  return deploymentExitCode(end);
};
