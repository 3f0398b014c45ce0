// `slipway status`: the control plane, what is in flight, the last run and the last green build.
import { continueCommand } from '../../core/deployment/failure.js';
import type { DeployTrigger } from '../../core/deployment/types.js';
import type { RunRecord } from '../../core/run.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'status',
  usage: 'slipway status [--json]',
  options: {},
};

interface EnvStatus {
  env: string;
  url: string | null;
  current: { release: string; digest: string; commit: string } | null;
  routes: { release: string; weight: number }[];
  instances: { id: string; release: string; state: string; port: number; restarts: number }[];
  healthy: number;
  lock: { holder: string; purpose: string } | null;
  lastDeployment: { id: string; status: string; release: number; reason: string | null; trigger: DeployTrigger } | null;
}

interface StatusAnswer {
  server: { pid: number; version: string; repo: string };
  activeRuns: string[];
  activeDeployments: string[];
  lastRun?: RunRecord;
  lastGreen?: RunRecord;
  environments: EnvStatus[];
  awaitingApproval?: { id: string; env: string; release: number; actor: string; approval_deadline: string | null }[];
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
      `in flight    ${[...s.activeRuns, ...s.activeDeployments].join(', ') || 'nothing'}`,
      `last run     ${runLine(s.lastRun)}`,
      `last green   ${runLine(s.lastGreen)}`,
      `environments ${s.environments.length ? '' : 'none deployed yet (slipway deploy ENV)'}`,
      '',
    ].join('\n'),
  );
  for (const e of s.environments) {
    const total = e.instances.filter((i) => i.release === e.current?.release).length;
    const routes = e.routes.map((r) => `${r.release} ${Math.round(r.weight * 100)}%`).join(', ');
    const last = e.lastDeployment ? `${e.lastDeployment.id} v${e.lastDeployment.release} ${e.lastDeployment.status}` : '';
    ctx.out(
      `  ${e.env.padEnd(12)} ${e.current ? `${e.current.release} ${e.current.digest.slice(0, 19)}` : 'no current release'}  ${e.url ?? ''}\n` +
        `  ${''.padEnd(12)} health ${e.healthy}/${total} healthy · routes ${routes || 'none'} · last ${last}${e.lock ? ` · LOCKED by ${e.lock.holder} (${e.lock.purpose})` : ''}\n` +
        // A held deployment waits for a person (rollback: manual): say what to run.
        (e.lastDeployment?.status === 'held' ? `  ${''.padEnd(12)} HELD: \`slipway rollback ${e.env}\` or \`${continueCommand({ env: e.env, trigger: e.lastDeployment.trigger })}\`\n` : ''),
    );
  }
  // Deployments waiting for a person's approval (also into an environment that serves nothing yet).
  for (const d of s.awaitingApproval ?? []) {
    ctx.out(`  ${d.env.padEnd(12)} AWAITING APPROVAL ${d.id} v${d.release} asked for by ${d.actor}${d.approval_deadline ? ` (rejected at ${d.approval_deadline} if nobody decides)` : ''}: \`slipway approve ${d.id}\` or \`slipway reject ${d.id}\`, by someone else\n`);
  }
  return 0;
};
