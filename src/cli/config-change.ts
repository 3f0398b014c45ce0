// What `slipway config|secrets|env` do after a change is recorded: unless --no-deploy, release the
// environment's current digest with the new config and follow that deployment like `slipway deploy`.
import { isSlipwayError } from '../core/errors.js';
import type { ChangeResult } from '../engine/envconfig/changes.js';
import type { StoredDeployment } from '../ports/store.js';
import { SlipwayError } from '../core/errors.js';
import { PIPELINE_ENV } from '../core/secrets/names.js';
import type { CliContext } from './context.js';
import { deploymentExitCode, followDeployment, summariseDeployment } from './follow-deploy.js';

/** Splits `KEY=VALUE` at the first `=`; the value is never echoed in an error. */
export const parseAssignment = (arg: string, what: string): { key: string; value: string } => {
  const at = arg.indexOf('=');
  if (at <= 0) {
    const shown = at === 0 ? '=…' : arg.length > 40 ? `${arg.slice(0, 12)}…` : arg;
    throw new SlipwayError('usage', `expected ${what}=VALUE, got "${shown}"`, `e.g. LOG_LEVEL=debug; quote values with spaces: 'GREETING=hello world'`);
  }
  return { key: arg.slice(0, at), value: arg.slice(at + 1) };
};

/**
 * Prints the outcome of a recorded change and, unless `noDeploy`, deploys it (waiting while the
 * environment is locked). Returns the exit code: that of the deployment when there is one.
 */
export const deployChange = async (ctx: CliContext, change: ChangeResult, what: string, opts: { json: boolean; noDeploy: boolean; extra?: Record<string, unknown> }): Promise<number> => {
  const out = (deployment: StoredDeployment | null, note: string): void => {
    if (opts.json) ctx.out(`${JSON.stringify({ ...change, ...opts.extra, deployment, note }, null, 2)}\n`);
    else ctx.out(`${note}\n`);
  };
  const recorded = change.changed ? `${what}: version ${change.version} of ${change.env} recorded` : `${what}: nothing changed in ${change.env} (version ${change.version})`;
  if (!opts.json) ctx.out(`${recorded}\n`);
  if (change.env === PIPELINE_ENV) {
    out(null, `pipeline steps that declare it get it from their next run`);
    return 0;
  }
  if (change.current === null) {
    out(null, `nothing is deployed to ${change.env} yet: the change takes effect at its first deployment`);
    return 0;
  }
  if (opts.noDeploy) {
    out(null, `--no-deploy: ${change.env} keeps running v${change.current.release}; the next deployment includes the change`);
    return 0;
  }
  const client = await ctx.client();
  let waitingSaid = false;
  for (;;) {
    try {
      const r = await client.request<{ deployment: StoredDeployment | null; reason?: string }>('POST', `/v1/environments/${encodeURIComponent(change.env)}/redeploy`, {});
      if (!r.deployment) {
        out(null, r.reason ?? 'nothing to deploy');
        return 0;
      }
      if (!opts.json) ctx.out(`releasing the config of ${change.env}: ${r.deployment.id}, v${r.deployment.release} (same digest ${r.deployment.digest.slice(0, 19)})\n`);
      const end = await followDeployment(ctx, r.deployment.id, { json: opts.json, summaryFollows: !opts.json });
      if (opts.json) out(end, `${end.id} ${end.phase}`);
      else summariseDeployment(ctx, end);
      return deploymentExitCode(end);
    } catch (e) {
      if (!isSlipwayError(e) || e.code !== 'conflict') throw e;
      if (!waitingSaid && !opts.json) ctx.err(`waiting: ${e.message}\n`);
      waitingSaid = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
};

/** Positional `ENV` of a config command, with the usage error naming the command. */
export const envArg = (positionals: string[], command: string): string => {
  const env = positionals[1];
  if (!env) throw new SlipwayError('usage', `which environment for \`slipway ${command}\`?`, `see \`slipway ${command.split(' ')[0] ?? ''} --help\``);
  return env;
};
