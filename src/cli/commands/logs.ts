// `slipway logs RUN [--follow]`: replay a run's step output (and follow it while it runs).
import type { LogLine, RunRecord } from '../../core/run.js';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';
import { followRun } from '../follow.js';
import { plainProgress } from '../progress.js';
import { describeEvent, followDeployment } from '../follow-deploy.js';
import type { StoredEvent } from '../../core/events/chain.js';
import type { StoredDeployment } from '../../ports/store.js';

export const spec: CommandSpec = {
  name: 'logs',
  usage: 'slipway logs RUN|DEPLOYMENT [--step NAME] [--follow] [--json]',
  options: {
    follow: { type: 'boolean', short: 'f', description: 'keep printing until the run ends' },
    step: { type: 'string', description: 'only the lines of this step' },
  },
  details: 'RUN is a run id as `slipway runs` shows it (r12, or just 12); DEPLOYMENT a deployment id as\n`slipway history ENV` shows it (d3): its events, with the evidence of every failure and rollback.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const id = positionals[0];
  if (!id) throw new SlipwayError('usage', 'which run?', 'give a run id, e.g. `slipway logs r3`; list them with `slipway runs`');
  const client = await ctx.client();
  if (/^d\d+$/.test(id)) return deploymentLogs(ctx, id, values.follow === true, values.json === true);
  const step = stringOpt(values, 'step');
  if (values.follow && !values.json) {
    // Replays everything stored, then streams live lines until the run ends.
    const progress = plainProgress(ctx.out);
    for await (const item of client.stream<{ type: string; line?: LogLine }>(`/v1/runs/${encodeURIComponent(id)}/stream`)) {
      if (item.type === 'log' && item.line && (!step || item.line.step === step)) progress.handle({ type: 'log', line: item.line });
    }
    await followRun(ctx, id, { json: true, cancelOnSignal: false });
    return 0;
  }
  const { run: r, logs } = await client.request<{ run: RunRecord; logs: LogLine[] }>('GET', `/v1/runs/${encodeURIComponent(id)}/logs`);
  const lines = step ? logs.filter((l) => l.step === step) : logs;
  if (values.json) {
    ctx.out(`${JSON.stringify({ run: r, logs: lines }, null, 2)}\n`);
    return 0;
  }
  for (const l of lines) ctx.out(`${l.at.replace('T', ' ').slice(0, 23)} [${l.step}]${l.stream === 'stderr' ? ' !' : ''} ${l.line}\n`);
  ctx.out(`— run ${r.id} ${r.status}${r.reason ? `: ${r.reason.split('\n')[0]}` : ''}\n`);
  return 0;
};

const deploymentLogs = async (ctx: CliContext, id: string, follow: boolean, json: boolean): Promise<number> => {
  const client = await ctx.client();
  if (follow && !json) {
    await followDeployment(ctx, id, { json: false });
    return 0;
  }
  const r = await client.request<{ deployment: StoredDeployment; events: StoredEvent[] }>('GET', `/v1/deployments/${id}`);
  if (json) {
    ctx.out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  for (const e of r.events) ctx.out(`${e.at.replace('T', ' ').slice(0, 23)} ${describeEvent(e)}\n`);
  const d = r.deployment;
  ctx.out(`— ${d.id} ${d.env} v${d.release} ${d.phase}${d.reason ? `: ${d.reason.split('\n')[0]}` : ''}\n`);
  return 0;
};
