// An environment's port checked before a deployment starts anything: a port that another
// environment claims, or that another process holds, would only fail at the route switch, after the
// new instances had started; it is refused up front with the command that fixes it.
import { SlipwayError } from '../../core/errors.js';
import type { SlipwayConfig } from '../../config/types.js';
import type { EngineContext } from '../context.js';

/**
 * Another environment that claims `port` — of this app (recorded as serving on it, or configured
 * with it), or of another Slipway app of this user (the per-user registry, home/registry.ts), which
 * would clash as soon as that app serves again even when nothing listens now.
 */
const claimedBy = async (ctx: EngineContext, env: string, port: number, config: SlipwayConfig): Promise<string | undefined> => {
  const recorded = (await ctx.store.listEnvStates()).find((s) => s.env !== env && s.port === port);
  if (recorded) return `environment ${recorded.env}`;
  const configured = config.environments.find((e) => e.name !== env && e.port === port)?.name;
  if (configured !== undefined) return `environment ${configured}`;
  const app = ctx.machine.portsOfOtherApps().get(port);
  return app === undefined ? undefined : `another Slipway app: ${app}`;
};

/** A port to suggest instead: the next ones up that nobody claims and nothing holds. */
const suggestion = async (ctx: EngineContext, env: string, port: number, config: SlipwayConfig): Promise<number | undefined> => {
  for (let p = port + 1; p <= Math.min(port + 50, 65535); p++) {
    if ((await claimedBy(ctx, env, p, config)) === undefined && (await ctx.machine.canListen(p))) return p;
  }
  return undefined;
};

/**
 * Refuses (SlipwayError `refused`: not `conflict`, which callers wait out like a lock) when `port`, the port `env` is to be served on, belongs to
 * another environment or is held by a process other than this home's proxy serving `env`.
 */
export const checkEnvPort = async (ctx: EngineContext, env: string, port: number, config: SlipwayConfig): Promise<void> => {
  const fix = async (): Promise<string> => {
    const free = await suggestion(ctx, env, port, config);
    return `choose another port: \`slipway env set ${env} port=${free ?? 'N'}\`${free === undefined ? '' : ` (${free} is free)`}, or change environments.${env}.port in slipway.yaml`;
  };
  const other = await claimedBy(ctx, env, port, config);
  if (other !== undefined) {
    throw new SlipwayError('refused', `port ${port} of ${env} is already the port of ${other}; nothing was started`, await fix(), { port, claimedBy: other });
  }
  // Several hosts: the port is opened by each host's proxy, not on this machine.
  if (config.environments.find((e) => e.name === env)?.hosts !== undefined) return;
  const served = (await ctx.store.getEnvState(env))?.port === port && (await (await ctx.proxy()).getRoutes()).some((r) => r.env === env && r.port === port && r.listening);
  if (served || (await ctx.machine.canListen(port))) return;
  throw new SlipwayError('refused', `port ${port} of ${env} is taken by another process on this machine; nothing was started`, await fix(), { port });
};
