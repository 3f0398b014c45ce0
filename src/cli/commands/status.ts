// `slipway status`: the control plane, what is in flight, the last run and the last green build.
import type { RunRecord } from '../../core/run.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'status',
  summary: 'every environment, what is in flight, the last run and the latest green build',
  usage: 'slipway status [--json]',
  options: {},
};

interface StatusAnswer {
  server: { pid: number; version: string; repo: string };
  activeRuns: string[];
  lastRun?: RunRecord;
  lastGreen?: RunRecord;
  environments: unknown[];
}

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const s = await (await ctx.client()).request<StatusAnswer>('GET', '/v1/status');
  if (values.json) {
    ctx.out(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  const runLine = (r: RunRecord | undefined): string => (r ? `${r.id} ${r.status} ${r.commit.slice(0, 10)} ${r.message.slice(0, 50)}${r.digest ? ` → ${r.digest.slice(0, 19)}` : ''}` : 'none');
  ctx.out(
    [
      `repository   ${s.server.repo}`,
      `server       pid ${s.server.pid}, version ${s.server.version}`,
      `in flight    ${s.activeRuns.length ? s.activeRuns.join(', ') : 'nothing'}`,
      `last run     ${runLine(s.lastRun)}`,
      `last green   ${runLine(s.lastGreen)}`,
      `environments ${s.environments.length ? '' : 'none deployed yet'}`,
      '',
    ].join('\n'),
  );
  return 0;
};
