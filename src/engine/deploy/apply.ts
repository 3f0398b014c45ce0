// Applies a deployment's plan, one action at a time, recording each before moving on so that a
// killed control plane can resume from the last completed action (every action is idempotent).
import { LEASE_MS } from '../../core/deployment/lease.js';
import type { DeployAction, FailureAction, Weight } from '../../core/deployment/plan.js';
import { startFailureReport } from '../../core/deployment/start-failure.js';
import { assertMove, releaseLabel, type DeploymentPhase, type FailureCause } from '../../core/deployment/types.js';
import { SlipwayError } from '../../core/errors.js';
import type { EnvRoutes, ProxyBackend, RouteHostReport } from '../../ports/proxy.js';
import type { HostReport, RuntimeEvent } from '../../ports/runtime.js';
import type { StoredDeployment } from '../../ports/store.js';
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import { releaseConfig, releaseSpec } from '../envconfig/release.js';
import { verifyRelease } from './verify.js';
import { configAt, environmentOf } from './spec.js';

/** How a plan ended; `cause`: why it failed (stored with the deployment, see FailureCause). */
export type Outcome = { ok: true } | { ok: false; reason: string; afterRoute: boolean; cause: FailureCause };

/** How one action ended. */
type ActionResult = { ok: true } | { ok: false; reason: string; cause: FailureCause };

/** Appends a deployment event and publishes it for live followers. */
export const record = async (ctx: EngineContext, d: Pick<StoredDeployment, 'id'>, kind: string, data: Record<string, unknown>): Promise<void> => {
  const event = await ctx.store.appendEvent({ kind, actor: ctx.actor, subject: d.id, data }, isoNow(ctx));
  ctx.bus.publish({ type: 'event', event });
};

/**
 * Moves a deployment to a phase and records it. A deployment is finished (`finishedAt` set) when
 * it succeeded, was canceled or rolled back, or failed with nothing left to undo (`final`); a
 * failure that is followed by a rollback stays unfinished until the rollback is done, so that a
 * control plane killed in between finishes the rollback when it starts again.
 */
export const setPhase = async (ctx: EngineContext, d: StoredDeployment, phase: DeploymentPhase, extra: { reason?: string; rolledBackTo?: number; final?: boolean } = {}): Promise<void> => {
  assertMove(d.id, d.phase, phase); // the store checks it again against the stored phase
  const final = phase === 'succeeded' || phase === 'rolled_back' || phase === 'canceled' || phase === 'rejected' || (phase === 'failed' && extra.final === true);
  const finishedAt = final ? isoNow(ctx) : undefined;
  await ctx.store.updateDeployment(d.id, { phase, finishedAt, reason: extra.reason, rolledBackTo: extra.rolledBackTo });
  d.phase = phase;
  if (extra.reason !== undefined) d.reason = extra.reason;
  if (extra.rolledBackTo !== undefined) d.rolledBackTo = extra.rolledBackTo;
  if (finishedAt) d.finishedAt = finishedAt;
  await record(ctx, d, 'deployment.phase', { phase, release: d.release, reason: extra.reason ?? null });
};

/** The environment's proxy port: slipway.yaml, else the one recorded, else a free one (recorded). */
export const envPort = async (ctx: EngineContext, env: string, configured: number | undefined): Promise<number> => {
  if (configured !== undefined) return configured;
  const state = await ctx.store.getEnvState(env);
  return state?.port ?? (await ctx.machine.freePort());
};

/** Proxy backends for a set of weights, from the instances the runtime has for each release. */
export const backendsFor = async (ctx: EngineContext, env: string, weights: Weight[]): Promise<ProxyBackend[]> => {
  const out: ProxyBackend[] = [];
  for (const w of weights) {
    const instances = ctx.runtime.list(env, w.release).filter((i) => i.state !== 'stopped');
    // A release at weight 0 that no longer runs (retired before a crash, its rollback resumed) takes no traffic: left out.
    if (w.weight === 0 && instances.length === 0) continue;
    const rel = await ctx.store.getRelease(env, w.release);
    out.push({ release: releaseLabel(w.release), digest: rel?.digest, weight: w.weight, instances: instances.map((i) => ({ id: i.id, url: i.url, ...(i.host === undefined ? {} : { host: i.host }) })) });
  }
  return out;
};

/**
 * Records the desired routes, then makes the proxy serve them (desired state first). Several hosts:
 * each host's proxy, in order, as `on_host_down` says (`restoring`: a rollback puts back every host
 * that answers, whatever the policy); returns what happened on each host.
 */
export const applyRoutes = async (ctx: EngineContext, env: string, port: number, weights: Weight[], currentRelease: number | undefined, opts: { restoring?: boolean } = {}): Promise<RouteHostReport[]> => {
  ctx.machine.clearDown();
  await ctx.store.putEnvState({ env, port, currentRelease, routes: weights, updatedAt: isoNow(ctx) });
  ctx.crash?.at('deploy.routes-desired');
  const proxy = await ctx.proxy();
  const { domains, hosts } = await edgeOf(ctx, env, weights);
  const r = await proxy.setRoutes(env, {
    port, ...(domains.length > 0 ? { domains } : {}), backends: await backendsFor(ctx, env, weights),
    ...(hosts === undefined ? {} : { hosts: opts.restoring === true ? { ...hosts, onDown: 'skip' as const } : hosts }),
  });
  if (r.ok) return r.value.hostReports ?? [];
  if (r.reason === 'domain_taken') throw new SlipwayError('conflict', `the proxy refused the routes of ${env}: ${r.message}`, 'a domain belongs to one environment: remove it from the other one first');
  throw new SlipwayError(r.reason === 'port_taken' ? 'conflict' : 'failed', `the proxy refused the routes of ${env}: ${r.message}`, r.reason === 'port_taken' ? `free port ${port}, or set another one for ${env}` : undefined);
};

/**
 * The domains an environment answers on the shared listeners, and its hosts: those of the release
 * that takes the largest share of traffic (the newer one on a tie), from the config it was released
 * with, so a rollback restores the domains with the release.
 */
const edgeOf = async (ctx: EngineContext, env: string, weights: Weight[]): Promise<{ domains: string[]; hosts?: NonNullable<EnvRoutes['hosts']> }> => {
  const lead = [...weights].sort((a, b) => b.weight - a.weight || b.release - a.release)[0];
  const release = lead === undefined ? undefined : await ctx.store.getRelease(env, lead.release);
  if (!release) return { domains: [] };
  const config = await releaseConfig(ctx, release);
  const spec = environmentOf(config, env);
  return {
    domains: spec.domains ?? [],
    ...(spec.hosts === undefined ? {} : { hosts: { list: spec.hosts, onDown: spec.onHostDown ?? 'rollback', waitMs: config.run.health.startTimeoutMs } }),
  };
};

/** Records what a step did on each host of several, in order (`deployment.host`). */
const recordHosts = async (ctx: EngineContext, d: StoredDeployment, step: string, release: number, reports: readonly { host: string; state: string; message?: string }[]): Promise<void> => {
  for (const r of reports) await record(ctx, d, 'deployment.host', { step, release: releaseLabel(release), host: r.host, state: r.state, message: r.message ?? null });
};

/** Waits until the proxy has no request of `release` in flight (bounded), then stops it. */
export const retire = async (ctx: EngineContext, env: string, release: number, maxWaitMs = 30_000): Promise<void> => {
  const proxy = await ctx.proxy();
  const deadline = Date.now() + maxWaitMs;
  while (Date.now() < deadline && (await proxy.inflight(env, releaseLabel(release)).catch(() => 0)) > 0) await sleep(25);
  await ctx.runtime.stop(env, release);
  await ctx.store.removeInstances(env, release);
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Applies the plan from `d.step` on. Returns how it ended; never throws for expected failures.
 * The caller holds the environment's lease; this renews it while it works.
 */
export const applyPlan = async (ctx: EngineContext, d: StoredDeployment, holder: string, signal: AbortSignal): Promise<Outcome> => {
  const renew = setInterval(() => void ctx.store.acquireLease({ env: d.env, holder, purpose: `${d.trigger} ${releaseLabel(d.release)}` }, Date.now(), LEASE_MS), LEASE_MS / 3);
  let routed = d.plan.slice(0, d.step).some((a) => a.kind === 'route');
  try {
    const release = await ctx.store.getRelease(d.env, d.release);
    if (!release) return { ok: false, reason: `release ${releaseLabel(d.release)} of ${d.env} is missing from the store`, afterRoute: routed, cause: 'error' };
    const config = await releaseConfig(ctx, release);
    const envSpec = environmentOf(config, d.env);
    const port = await envPort(ctx, d.env, envSpec.port);
    for (let i = d.step; i < d.plan.length; i++) {
      if (signal.aborted) return { ok: false, reason: String(signal.reason ?? 'canceled'), afterRoute: routed, cause: 'canceled' };
      const action = d.plan[i] as DeployAction;
      const r = await applyAction(ctx, d, action, { port, config, signal, index: i });
      if (!r.ok) return { ok: false, reason: r.reason, afterRoute: routed, cause: r.cause };
      if (action.kind === 'route') routed = true;
      d.step = i + 1;
      await ctx.store.updateDeployment(d.id, { step: d.step });
      ctx.crash?.at('deploy.step-done');
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e), afterRoute: routed, cause: 'error' };
  } finally {
    clearInterval(renew);
  }
};

/**
 * Applies the actions of a failure (planFailure) to `d`, whose reason, cause and blame are set.
 * Every action is idempotent, so a control plane that resumes a failure applies its plan again
 * (planFailure leaves out the phases already reached). Retiring is best effort: a release that
 * will not stop is recorded and the rollback goes on.
 */
export const applyFailure = async (ctx: EngineContext, d: StoredDeployment, actions: readonly FailureAction[]): Promise<void> => {
  const verdictAt = Date.now();
  const state = await ctx.store.getEnvState(d.env);
  const port = state?.port ?? (await envPort(ctx, d.env, undefined));
  const reason = d.reason;
  for (const a of actions) {
    switch (a.kind) {
      case 'fail':
        await setPhase(ctx, d, 'failed', { reason, final: a.final });
        // The environment is known (`slipway status`) even when its first deployment failed.
        if (a.final) await ctx.store.putEnvState({ ...((await ctx.store.getEnvState(d.env)) ?? { env: d.env, routes: [] }), updatedAt: isoNow(ctx) });
        break;
      case 'roll_back':
        await setPhase(ctx, d, 'rolling_back', { reason });
        ctx.crash?.at('rollback.rolling-back');
        break;
      case 'restore':
        await recordHosts(ctx, d, 'restore', a.to, await applyRoutes(ctx, d.env, port, [{ release: a.to, weight: 1 }, { release: a.from, weight: 0 }], a.to, { restoring: true }));
        await record(ctx, d, 'deployment.restored', { to: releaseLabel(a.to), msFromVerdict: Date.now() - verdictAt });
        ctx.crash?.at('rollback.restored');
        break;
      case 'unroute':
        await (await ctx.proxy()).removeEnv(d.env);
        await ctx.store.putEnvState({ env: d.env, port, currentRelease: undefined, routes: [], updatedAt: isoNow(ctx) });
        break;
      case 'retire':
        for (const r of a.releases) {
          await retire(ctx, d.env, r).catch((e: unknown) => record(ctx, d, 'deployment.retire_failed', { release: releaseLabel(r), reason: e instanceof Error ? e.message : String(e) }));
        }
        break;
      case 'route':
        // Part of undoing a failure: every host that answers is put right, whatever on_host_down says.
        await recordHosts(ctx, d, 'restore', a.weights[0]?.release ?? d.release, await applyRoutes(ctx, d.env, port, a.weights, (await ctx.store.getEnvState(d.env))?.currentRelease, { restoring: true }));
        break;
      case 'mark_bad':
        // A failure resumed after a crash applies its plan again: marked (and recorded) once.
        if ((await ctx.store.listEvents({ subject: d.id, limit: 10_000 })).some((e) => e.kind === 'deployment.digest_marked_bad')) break;
        await ctx.store.markBadDigest(a.digest, d.env, reason ?? 'the deployment failed', isoNow(ctx));
        await record(ctx, d, 'deployment.digest_marked_bad', { digest: a.digest });
        ctx.crash?.at('rollback.digest-marked-bad');
        break;
      case 'rolled_back':
        await setPhase(ctx, d, 'rolled_back', { reason, ...(a.to === undefined ? {} : { rolledBackTo: a.to }) });
        ctx.crash?.at('rollback.finished');
        break;
      case 'hold': {
        // The routes it keeps are recorded first: a follower's stream ends with the phase.
        const routes = (await ctx.store.getEnvState(d.env))?.routes ?? [];
        await record(ctx, d, 'deployment.held', { release: releaseLabel(d.release), previous: d.previousRelease === undefined ? null : releaseLabel(d.previousRelease), routes: routes.map((w) => ({ release: releaseLabel(w.release), weight: w.weight })) });
        await setPhase(ctx, d, 'held', { reason });
        break;
      }
      case 'notify':
        await announce(ctx, d, a.event).catch(() => undefined);
        break;
    }
  }
};

/** Outgoing webhooks (slipway.yaml `notifications`) about how a deployment ended, with its evidence. */
export const announce = async (ctx: EngineContext, d: StoredDeployment, event: 'succeeded' | 'failed' | 'rolled_back' | 'held'): Promise<void> => {
  const config = await configAt(ctx, d.commit);
  if (!config.notifications?.length) return;
  const events = await ctx.store.listEvents({ subject: d.id, limit: 10_000 });
  const verdict = [...events].reverse().find((e) => e.kind === 'deployment.verified' || e.kind === 'deployment.verification_failed');
  ctx.notify(config.notifications, { event, app: config.app, deployment: d, evidence: verdict?.data.report });
};

interface ActionContext {
  port: number;
  config: Awaited<ReturnType<typeof configAt>>;
  signal: AbortSignal;
  /** Index of the action in the plan (verification state is kept per action). */
  index: number;
}

const applyAction = async (ctx: EngineContext, d: StoredDeployment, a: DeployAction, ac: ActionContext): Promise<ActionResult> => {
  switch (a.kind) {
    case 'start': {
      if (d.phase === 'pending') await setPhase(ctx, d, 'starting');
      const running = ctx.runtime.list(d.env, a.release).filter((i) => i.state === 'healthy');
      if (running.length >= a.instances) return { ok: true }; // resumed: already up
      const release = await ctx.store.getRelease(d.env, a.release);
      if (!release) return { ok: false, reason: `release ${releaseLabel(a.release)} is missing`, cause: 'error' };
      await record(ctx, d, 'deployment.starting', { release: a.release, instances: a.instances, digest: release.digest });
      // Config and the exact secret versions the release recorded; values go to the processes only.
      const spec = await releaseSpec(ctx, release, { SLIPWAY_DEPLOYMENT: d.id });
      await ctx.runtime.prepare(spec);
      // Several hosts: each step on each host is recorded as it happens (the barrier shows in the order).
      let told: Promise<void> = Promise.resolve();
      const onHost = (r: HostReport): void => {
        told = told.then(() => recordHosts(ctx, d, 'start', a.release, [r])).catch(() => undefined);
      };
      const started = await ctx.runtime.start({ ...spec, instances: a.instances }, onHost);
      await told;
      if (!started.ok) return { ok: false, reason: `${releaseLabel(a.release)} did not start: ${startFailureReport({ ...started, env: d.env, command: spec.command, healthPath: spec.health.path })}`, cause: 'start' };
      ctx.crash?.at('deploy.instances-started');
      await ctx.store.putInstances(d.env, a.release, started.instances);
      await record(ctx, d, 'deployment.healthy', { release: a.release, instances: started.instances.map((x) => ({ id: x.id, port: x.port, pid: x.pid })) });
      ctx.crash?.at('deploy.instances-recorded');
      return { ok: true };
    }
    case 'route': {
      const state = await ctx.store.getEnvState(d.env);
      const t0 = performance.now();
      const hosts = await applyRoutes(ctx, d.env, ac.port, a.weights, state?.currentRelease);
      await recordHosts(ctx, d, 'route', d.release, hosts);
      await record(ctx, d, 'deployment.routed', { label: a.label, weights: a.weights.map((w) => ({ release: releaseLabel(w.release), weight: w.weight })), port: ac.port, switchMs: Math.round((performance.now() - t0) * 100) / 100 });
      ctx.crash?.at('deploy.routed');
      return { ok: true };
    }
    case 'verify': {
      if (d.phase !== 'verifying') await setPhase(ctx, d, 'verifying');
      const verify = environmentOf(ac.config, d.env).verify;
      // Verification turned off explicitly: a canary pause still watches for crashes.
      if (!verify.enabled) return watchRelease(ctx, d, a.release, a.durationMs, a.label, ac.signal);
      return verifyRelease(ctx, d, ac.index, {
        spec: { ...verify, windowMs: a.durationMs },
        release: a.release,
        // At a canary step the stable release takes the rest of the traffic: the baseline.
        baseline: a.baseline,
        label: a.label,
        signal: ac.signal,
        prometheus: ac.config.prometheus,
        // Never `/` on Slipway's own: the health path, unless verify.probe names another.
        probe: { path: verify.probe?.path ?? ac.config.run.health.path, method: verify.probe?.method ?? 'GET' },
      });
    }
    case 'retire': {
      for (const r of a.releases) await retire(ctx, d.env, r);
      ctx.crash?.at('deploy.retired');
      await record(ctx, d, 'deployment.retired', { releases: a.releases.map(releaseLabel) });
      return { ok: true };
    }
    case 'succeed': {
      if (d.phase === 'starting' || d.phase === 'pending') await setPhase(ctx, d, 'verifying');
      const state = await ctx.store.getEnvState(d.env);
      await ctx.store.putEnvState({ env: d.env, port: ac.port, currentRelease: d.release, routes: state?.routes ?? [{ release: d.release, weight: 1 }], updatedAt: isoNow(ctx) });
      await setPhase(ctx, d, 'succeeded');
      ctx.crash?.at('deploy.succeeded');
      return { ok: true };
    }
  }
};

/**
 * Watches a release for `durationMs`: a crash of any of its instances fails the window. (The
 * verification of live metrics plugs in here.)
 */
const watchRelease = (ctx: EngineContext, d: StoredDeployment, release: number, durationMs: number, label: string, signal: AbortSignal): Promise<ActionResult> =>
  new Promise((resolve) => {
    let done = false;
    const finish = (r: ActionResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      off();
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const off = ctx.runtime.onEvent((e: RuntimeEvent) => {
      if (e.kind !== 'instance.crashed' || e.instance.env !== d.env || e.instance.release !== release) return;
      const how = e.signal ? `killed by ${e.signal}` : `exited with code ${e.exitCode}`;
      finish({ ok: false, cause: 'crash', reason: `instance ${e.instance.id} of ${releaseLabel(release)} crashed during verification (${label}): ${how}${e.lastLines.length ? `; last output: ${e.lastLines.slice(-3).join(' | ')}` : ''}` });
    });
    const onAbort = (): void => finish({ ok: false, reason: String(signal.reason ?? 'canceled'), cause: 'canceled' });
    signal.addEventListener('abort', onAbort);
    const timer = setTimeout(() => finish({ ok: true }), durationMs);
    void record(ctx, d, 'deployment.verifying', { release: releaseLabel(release), label, windowMs: durationMs });
  });
