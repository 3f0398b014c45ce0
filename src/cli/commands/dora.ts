// `slipway dora [--env E] [--since 30d]`: the four DORA figures of each environment, from its
// recorded deployments (docs/dora.md says how each is counted).
import type { DoraFigures, Spread } from '../../core/dora/dora.js';
import { formatMs } from '../../core/duration.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'dora',
  usage: 'slipway dora [--env ENV] [--since 30d] [--json]',
  options: {
    env: { type: 'string', description: 'only this environment (default: every environment with a deployment)' },
    since: { type: 'string', description: 'the window: 12h, 30d, 2w back, or from a date (2026-11-01)', default: '30d' },
  },
  details:
    'Deployment frequency (changes that went live, per day), lead time for changes (first commit of\n' +
    'a change → its deployment done), change failure rate (changes rolled back or failed, of those that\n' +
    'ended) and time to restore (failure → a good release serving again), from the recorded history.\n' +
    'Definitions: docs/dora.md. JSON fields: since, until, environments[] with env,\n' +
    'deploymentFrequency {delivered, perDay}, leadTime, timeToRestore {count, medianMs, p90Ms} or null,\n' +
    'changeFailureRate {failed, changes, rate} or null.',
};

interface DoraAnswer {
  since: string;
  until: string;
  environments: DoraFigures[];
}

const spread = (s: Spread | null, what: string): string =>
  s === null ? `none measured` : `median ${formatMs(s.medianMs)}, p90 ${formatMs(s.p90Ms)} (${s.count} ${what}${s.count === 1 ? '' : 's'})`;

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const q = new URLSearchParams();
  const env = stringOpt(values, 'env');
  if (env !== undefined) q.set('env', env);
  q.set('since', stringOpt(values, 'since') ?? '30d');
  const answer = await (await ctx.client()).request<DoraAnswer>('GET', `/v1/dora?${q.toString()}`);
  if (values.json) {
    ctx.out(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  }
  if (answer.environments.length === 0) {
    ctx.out('no environment has a deployment yet: `slipway deploy ENV`\n');
    return 0;
  }
  ctx.out(`from ${answer.since.replace('T', ' ').slice(0, 16)} to ${answer.until.replace('T', ' ').slice(0, 16)} UTC\n`);
  for (const f of answer.environments) {
    const cfr = f.changeFailureRate;
    ctx.out(
      `\n${f.env}\n` +
        `  deployment frequency   ${f.deploymentFrequency.delivered} live (${f.deploymentFrequency.perDay} a day)\n` +
        `  lead time for changes  ${spread(f.leadTime, 'change')}\n` +
        `  change failure rate    ${cfr === null ? 'no change ended' : `${(cfr.rate * 100).toFixed(0)} % (${cfr.failed} of ${cfr.changes})`}\n` +
        `  time to restore        ${spread(f.timeToRestore, 'restore')}\n`,
    );
  }
  return 0;
};
