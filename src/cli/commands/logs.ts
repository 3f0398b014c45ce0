// `slipway logs RUN [--follow]`: replay a run's step output (and follow it while it runs); a
// deployment's events; or the output of an environment's running instances.
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
  usage: 'slipway logs RUN|DEPLOYMENT|ENV [--step NAME] [--follow] [-n LINES] [--json]',
  options: {
    follow: { type: 'boolean', short: 'f', description: 'keep printing until the run ends' },
    step: { type: 'string', description: 'only the lines of this step' },
    lines: { type: 'string', short: 'n', description: "ENV: the last LINES lines of each instance's output (default 100)" },
  },
  details: [
    'RUN is a run id as `slipway runs` shows it (r12, or just 12); DEPLOYMENT a deployment id as',
    '`slipway history ENV` shows it (d3): its events, with the evidence of every failure and rollback.',
    'ENV is an environment: the output of its running instances (masked), read across the files',
    'rotated at `retention.log_max_bytes`. The output of runs older than `retention.logs_days` is',
    'replaced by a line saying so (`slipway gc`).',
  ].join('\n'),
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const id = positionals[0];
  if (!id) throw new SlipwayError('usage', 'which run?', 'give a run id, e.g. `slipway logs r3`; list them with `slipway runs`');
  const client = await ctx.client();
  if (/^d\d+$/.test(id)) return deploymentLogs(ctx, id, values.follow === true, values.json === true);
  if (!/^r?\d+$/.test(id)) return instanceLogs(ctx, id, stringOpt(values, 'lines'), values.json === true);
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

const instanceLogs = async (ctx: CliContext, env: string, lines: string | undefined, json: boolean): Promise<number> => {
  const query = lines === undefined ? '' : `?lines=${encodeURIComponent(lines)}`;
  const r = await (await ctx.client()).request<{ env: string; instances: { id: string; release: number; state: string; lines: string[] }[] }>('GET', `/v1/environments/${encodeURIComponent(env)}/logs${query}`);
  if (json) {
    ctx.out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  if (r.instances.length === 0) ctx.out(`no instance of ${env} runs\n`);
  for (const i of r.instances) {
    ctx.out(`— ${i.id} (v${i.release}, ${i.state})\n`);
    for (const l of i.lines) ctx.out(`${l}\n`);
  }
  return 0;
};
