// Converging the machine to the recorded state: `slipway up` (rebuild from scratch, idempotent)
// and the recovery a control plane runs when it starts after a crash.
import { randomUUID } from 'node:crypto';
import { LEASE_MS } from '../../core/deployment/lease.js';
import { startFailureReport } from '../../core/deployment/start-failure.js';
import { releaseLabel } from '../../core/deployment/types.js';
import { SlipwayError } from '../../core/errors.js';
import type { InstanceSpec, ReleaseRef } from '../../ports/runtime.js';
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import { applyRoutes, record } from './apply.js';
import type { Deployer } from './deploy.js';
import { releaseConfig, releaseSpec } from '../envconfig/release.js';
import { instanceSpec } from './spec.js';

export interface UpReport {
  ms: number;
  environments: { env: string; release?: string; digest?: string; port?: number; started: number; adopted: number; note?: string }[];
}

/** The runtime spec of a recorded release, for adopting or restarting its instances. */
const specOf = async (ctx: EngineContext, env: string, n: number, withValues = false): Promise<InstanceSpec | undefined> => {
  const release = await ctx.store.getRelease(env, n);
  if (!release) return undefined;
  // Adopting running instances needs no values (their processes have them): only starting does.
  return withValues ? releaseSpec(ctx, release) : instanceSpec(await releaseConfig(ctx, release), release);
};

/**
 * Converges every environment to its recorded current release, from whatever is there (nothing
 * at all included): instances started where missing, routes set, the proxy started. Idempotent.
 */
export const up = async (ctx: EngineContext): Promise<UpReport> => {
  const t0 = performance.now();
  ctx.machine.clearDown();
  const report: UpReport = { ms: 0, environments: [] };
  for (const state of await ctx.store.listEnvStates()) {
    const held = (await ctx.store.listDeployments(state.env, 20)).find((d) => d.phase === 'held');
    if (state.currentRelease === undefined && !held) {
      report.environments.push({ env: state.env, started: 0, adopted: 0, note: 'nothing deployed' });
      continue;
    }
    const holder = `up-${randomUUID().slice(0, 8)}`;
    const lease = await ctx.store.acquireLease({ env: state.env, holder, purpose: `slipway up by ${ctx.actor}` }, Date.now(), LEASE_MS);
    if (!lease.ok) throw new SlipwayError('conflict', `${state.env} is locked by ${lease.heldBy.holder} (${lease.heldBy.purpose})`, 'wait for it to finish, then run `slipway up` again');
    try {
      // A held environment is left as it was: every release of its recorded routes (the held one
      // at its step, the previous one beside it) runs and the routes stay; else the current one.
      const routes = held ? state.routes : [{ release: state.currentRelease as number, weight: 1 }];
      let started = 0;
      let adopted = 0;
      for (const { release: n } of routes) {
        const release = await ctx.store.getRelease(state.env, n);
        if (!release) throw new SlipwayError('corrupt', `the recorded release ${releaseLabel(n)} of ${state.env} is missing`);
        const spec = await specOf(ctx, state.env, n, true);
        if (!spec) throw new SlipwayError('corrupt', `cannot build the runtime spec of ${releaseLabel(n)} of ${state.env}`);
        const healthy = ctx.runtime.list(state.env, n).filter((i) => i.state === 'healthy');
        adopted += healthy.length;
        if (healthy.length < spec.instances) {
          await ctx.runtime.prepare(spec);
          const r = await ctx.runtime.start({ ...spec, instances: spec.instances - healthy.length });
          if (!r.ok) throw new SlipwayError('failed', `${state.env} ${releaseLabel(n)} did not start: ${startFailureReport({ ...r, env: state.env, command: spec.command, healthPath: spec.health.path })}`);
          started += r.instances.length;
          await ctx.store.putInstances(state.env, n, ctx.runtime.list(state.env, n));
        }
      }
      const port = state.port;
      if (port === undefined) throw new SlipwayError('corrupt', `no port is recorded for ${state.env}`);
      await applyRoutes(ctx, state.env, port, routes, state.currentRelease);
      const shown = held ? held.release : (state.currentRelease as number);
      const digest = (await ctx.store.getRelease(state.env, shown))?.digest;
      report.environments.push({
        env: state.env, release: releaseLabel(shown), ...(digest === undefined ? {} : { digest }), port, started, adopted,
        ...(held ? { note: `${held.id} is held: its routes are kept (${routes.map((w) => `${releaseLabel(w.release)} ${Math.round(w.weight * 100)}%`).join(', ')})` } : {}),
      });
    } finally {
      await ctx.store.releaseLease(state.env, holder);
    }
  }
  report.ms = Math.round(performance.now() - t0);
  await ctx.store.appendEvent({ kind: 'up', actor: ctx.actor, subject: 'up', data: { ms: report.ms, environments: report.environments } }, isoNow(ctx));
  return report;
};

/**
 * What a starting control plane does about the state a previous one left: adopt the instances
 * that still run, and resume every deployment that was in flight from its last recorded action
 * (or finish its rollback), so that nothing is left half-done and there is one current release.
 */
export const recoverDeployments = async (ctx: EngineContext, deployer: Deployer, log: (line: string) => void): Promise<string[]> => {
  const recorded = await ctx.store.listInstances();
  const specs = new Map<string, InstanceSpec>();
  for (const i of recorded) {
    const key = `${i.env}/${i.release}`;
    if (!specs.has(key)) {
      const s = await specOf(ctx, i.env, i.release).catch(() => undefined);
      if (s) specs.set(key, s);
    }
  }
  const adopted = await ctx.runtime.adopt(recorded, (ref: ReleaseRef) => specs.get(`${ref.env}/${ref.release}`));
  if (recorded.length > 0) log(`adopted ${adopted.length} of ${recorded.length} recorded instance(s)`);
  // What runs but was never recorded (a start cut off by the crash) belongs to no release: it
  // would hold a port and memory for ever. The resumed deployment starts its own instances.
  const swept = await ctx.runtime.sweep();
  if (swept.length > 0) {
    log(`stopped ${swept.length} orphan instance(s) no release owns: ${swept.map((s) => s.id).join(', ')}`);
    await ctx.store.appendEvent({ kind: 'runtime.orphans_swept', actor: ctx.actor, subject: 'runtime', data: { instances: swept } }, isoNow(ctx));
  }
  for (const state of await ctx.store.listEnvStates()) await deployer.finishRollback(state.env);
  const resumed: string[] = [];
  for (const d of await ctx.store.unfinishedDeployments()) {
    // A held deployment, or one awaiting approval, is not in flight: it waits for a person.
    if (d.phase === 'held' || d.phase === 'awaiting_approval') continue;
    const holder = `resume-${randomUUID().slice(0, 8)}`;
    // The lease of the killed control plane expires by itself; take it over now, it was ours.
    await ctx.store.releaseLease(d.env, (await ctx.store.getLease(d.env))?.holder ?? '');
    const lease = await ctx.store.acquireLease({ env: d.env, holder, purpose: `resuming ${d.id}` }, Date.now(), LEASE_MS);
    if (!lease.ok) continue;
    await record(ctx, d, 'deployment.resumed', { phase: d.phase, step: d.step, reason: 'the control plane restarted while this deployment was in flight' });
    log(`resuming ${d.id} (${d.env} ${releaseLabel(d.release)}, ${d.phase}, action ${d.step + 1} of ${d.plan.length})`);
    deployer.execute(d, holder);
    resumed.push(d.id);
  }
  return resumed;
};

/**
 * Stops every instance and the proxy, keeping all recorded state: the inverse of `up`, which
 * brings it all back. Refused while a deployment is in flight.
 */
export const down = async (ctx: EngineContext, inFlight: string[]): Promise<{ stopped: number; ms: number }> => {
  if (inFlight.length > 0) throw new SlipwayError('conflict', `deployments in flight: ${inFlight.join(', ')}`, 'wait for them to finish, then run `slipway down` again');
  const t0 = performance.now();
  const envs = new Set([...(await ctx.store.listEnvStates()).map((s) => s.env), ...(await ctx.store.listInstances()).map((i) => i.env)]);
  const pairs = new Map<string, { env: string; release: number }>();
  for (const i of await ctx.store.listInstances()) pairs.set(`${i.env}/${i.release}`, i);
  for (const env of envs) for (const i of ctx.runtime.list(env)) pairs.set(`${i.env}/${i.release}`, i);
  let stopped = 0;
  ctx.machine.markDown(isoNow(ctx));
  await Promise.all(
    [...pairs.values()].map(async ({ env, release }) => {
      stopped += ctx.runtime.list(env, release).length;
      await ctx.runtime.stop(env, release);
      await ctx.store.removeInstances(env, release);
    }),
  );
  const proxy = await ctx.proxy();
  await proxy.stop();
  await ctx.store.appendEvent({ kind: 'down', actor: ctx.actor, subject: 'down', data: { stopped } }, isoNow(ctx));
  return { stopped, ms: Math.round(performance.now() - t0) };
};
