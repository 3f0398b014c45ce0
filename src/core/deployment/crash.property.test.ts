// Property: random sequences of deploy, promote, rollback, config change, secret change and crash,
// applied with the core's own decisions (plans, failure plans, history, policy, config versions,
// the event chain) the way the engine applies them — each action recorded before the next, a
// deployment's intent before any side effect, a crash possible at any boundary between two writes,
// and a restart that sweeps unrecorded instances and resumes what was in flight — keep the
// invariants of SPEC §12 and agree with a plain model of what each environment should serve.
// The processes and the proxy outlive a crash (they are other processes); only the store is
// durable among what the control plane holds. A failure prints the seed and the shrunk sequence.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chooseRollbackTarget, currentRelease, nextReleaseNumber, promotionSource, succeededIn } from './history.js';
import { planDeployment, planRollback, type DeployAction, type FailureAction, type Weight } from './plan.js';
import { failureOf, planFailure } from './failure.js';
import { checkDeploy, checkPromotion } from './policy.js';
import { assertMove, isTerminal, type Deployment, type DeploymentPhase, type DeployTrigger, type FailureCause, type Release } from './types.js';
import { applyConfigChanges, type ConfigVersion } from '../secrets/config-versions.js';
import { GENESIS_HASH, hashEvent, verifyChain, type StoredEvent } from '../events/chain.js';

const ENVS = ['staging', 'production'] as const;
type Env = (typeof ENVS)[number];
const DIGESTS = ['sha256:aa', 'sha256:bb', 'sha256:cc'] as const;

type Command =
  | { kind: 'deploy'; env: Env; digest: string; healthy: boolean }
  | { kind: 'promote'; healthy: boolean }
  | { kind: 'rollback'; env: Env }
  | { kind: 'config'; env: Env; key: string; value: string; healthy: boolean }
  | { kind: 'secret'; env: Env; name: string; value: string; healthy: boolean };

/** A command, and the boundary at which the control plane dies during it (none: it runs through). */
interface Step {
  command: Command;
  crashAt: number | undefined;
}

class Crash extends Error {}

/** What outlives the control plane: the store, and the processes and proxy it started. */
class World {
  // The store.
  releases: Release[] = [];
  deployments: (Deployment & { plan: DeployAction[]; step: number })[] = [];
  envState = new Map<Env, { currentRelease?: number; routes: Weight[] }>();
  bad = new Map<Env, Set<string>>(ENVS.map((e) => [e, new Set<string>()]));
  instances = new Map<string, string[]>(); // `${env} ${release}` → recorded instance ids
  configs = new Map<Env, ConfigVersion | undefined>();
  secrets = new Map<Env, Map<string, { version: number; sealed: string }>>(ENVS.map((e) => [e, new Map()]));
  events: StoredEvent[] = [];
  // Other processes.
  processes = new Map<string, { env: Env; release: number }>();
  proxy = new Map<Env, Weight[]>();
  private nextId = 1;
  /** Boundaries passed in the current life of the control plane, and where it dies. */
  private passed = 0;
  private dieAt: number | undefined;
  private clock = 0;

  arm(at: number | undefined): void {
    this.passed = 0;
    this.dieAt = at;
  }

  /** A phase boundary: the control plane may die here. */
  boundary(): void {
    this.passed++;
    if (this.dieAt !== undefined && this.passed === this.dieAt) throw new Crash();
  }

  now(): string {
    return new Date(Date.UTC(2026, 0, 1) + ++this.clock * 1000).toISOString();
  }

  event(kind: string, subject: string, data: Record<string, unknown>): void {
    const prev = this.events.at(-1);
    const e = { seq: this.events.length + 1, at: this.now(), kind, actor: 'prop', subject, data, prevHash: prev?.hash ?? GENESIS_HASH };
    this.events.push({ ...e, hash: hashEvent(e) });
    this.boundary();
  }

  history(env: Env): Deployment[] {
    return this.deployments.filter((d) => d.env === env);
  }

  running(env: Env): number[] {
    return [...new Set([...this.processes.values()].filter((p) => p.env === env).map((p) => p.release))];
  }

  // --- The engine's protocol, written with the core's decisions ---

  /** Deploy or rollback: intent (release, deployment, event) before any side effect, then the plan. */
  begin(env: Env, trigger: DeployTrigger, target: { release?: Release; digest: string; secretsOf?: Record<string, number> }, healthy: boolean): void {
    const history = this.history(env);
    const previous = currentRelease(history);
    let release = target.release;
    let plan: DeployAction[];
    if (release === undefined) {
      release = { env, number: nextReleaseNumber(this.releases.filter((r) => r.env === env)), digest: target.digest, commit: 'c', configVersion: this.configs.get(env)?.version ?? 0, secretVersions: Object.fromEntries([...(this.secrets.get(env)?.entries() ?? [])].map(([k, v]) => [k, v.version])), createdAt: this.now(), createdBy: 'prop' };
      this.releases.push(release);
      this.boundary();
      plan = planDeployment({ release: release.number, instances: 1, strategy: env === 'production' ? { kind: 'canary', steps: [0.5, 1], pauseMs: 1 } : { kind: 'blue-green' }, previous, running: this.running(env), verifyWindowMs: 1 });
    } else {
      plan = planRollback({ target: release.number, current: previous, instances: 1, running: this.running(env) });
    }
    const d = { id: `d${this.nextId++}`, env, release: release.number, digest: release.digest, commit: 'c', author: 'a', trigger, actor: 'prop', strategy: 'blue-green' as const, phase: 'pending' as DeploymentPhase, startedAt: this.now(), forced: false, plan, step: 0, healthy, ...(previous === undefined ? {} : { previousRelease: previous }) };
    this.deployments.push(d);
    this.boundary();
    this.event('deployment.created', d.id, { release: d.release });
    this.execute(d);
  }

  private setPhase(d: Deployment, phase: DeploymentPhase, extra: { reason?: string; final?: boolean } = {}): void {
    assertMove(d.id, d.phase, phase);
    d.phase = phase;
    if (extra.reason !== undefined) d.reason = extra.reason;
    if (phase === 'succeeded' || phase === 'rolled_back' || (phase === 'failed' && extra.final === true)) d.finishedAt = this.now();
    this.boundary();
    this.event('deployment.phase', d.id, { phase });
  }

  private applyRoutes(env: Env, weights: Weight[], current: number | undefined): void {
    this.envState.set(env, { currentRelease: current, routes: weights });
    this.boundary();
    // As engine/deploy/apply.ts backendsFor: a release at weight 0 that no longer runs is left out;
    // the proxy refuses a backend without instances.
    const running = this.running(env);
    const backends = weights.filter((w) => w.weight > 0 || running.includes(w.release));
    for (const b of backends) if (!running.includes(b.release)) throw new Error(`the proxy refused the routes of ${env}: v${b.release} has no instances`);
    this.proxy.set(env, backends);
    this.boundary();
  }

  private retire(env: Env, release: number): void {
    for (const [id, p] of this.processes) if (p.env === env && p.release === release) this.processes.delete(id);
    this.boundary();
    this.instances.delete(`${env} ${release}`);
    this.boundary();
  }

  /** Applies (or resumes) a deployment: the plan from its step, or what is left of its failure. */
  execute(d: World['deployments'][number] & { healthy?: boolean }): void {
    if (d.phase === 'failed' || d.phase === 'rolling_back') return this.applyFailure(d, planFailure(d, { routed: true, rollback: 'auto' }));
    let routed = d.plan.slice(0, d.step).some((a) => a.kind === 'route');
    for (let i = d.step; i < d.plan.length; i++) {
      const a = d.plan[i] as DeployAction;
      const failed = this.apply(d, a);
      if (failed !== undefined) {
        const f = failureOf(failed);
        Object.assign(d, { reason: `failed: ${failed}`, cause: f.cause, blame: f.blame });
        this.boundary();
        return this.applyFailure(d, planFailure(d, { routed, rollback: 'auto' }));
      }
      if (a.kind === 'route') routed = true;
      d.step = i + 1;
      this.boundary();
    }
    if (d.trigger === 'rollback') this.markRolledBack(d);
  }

  private apply(d: Deployment & { healthy?: boolean }, a: DeployAction): FailureCause | undefined {
    const env = d.env as Env;
    switch (a.kind) {
      case 'start': {
        if (d.phase === 'pending') this.setPhase(d, 'starting');
        const key = `${env} ${a.release}`;
        const live = [...this.processes.values()].filter((p) => p.env === env && p.release === a.release).length;
        if (live >= a.instances && this.instances.has(key)) return undefined; // resumed: already up
        const ids = Array.from({ length: a.instances }, () => `i${this.nextId++}`);
        for (const id of ids) this.processes.set(id, { env, release: a.release });
        this.boundary(); // deploy.instances-started
        this.instances.set(key, ids);
        this.boundary();
        return undefined;
      }
      case 'route':
        this.applyRoutes(env, a.weights, this.envState.get(env)?.currentRelease);
        this.event('deployment.routed', d.id, { weights: a.weights });
        return undefined;
      case 'verify':
        if (d.phase !== 'verifying') this.setPhase(d, 'verifying');
        this.boundary(); // verify.interval-saved
        return d.healthy === false && d.trigger !== 'rollback' ? 'check' : undefined;
      case 'retire':
        for (const r of a.releases) this.retire(env, r);
        return undefined;
      case 'succeed': {
        if (d.phase === 'starting' || d.phase === 'pending') this.setPhase(d, 'verifying');
        const s = this.envState.get(env);
        this.envState.set(env, { currentRelease: d.release, routes: s?.routes ?? [{ release: d.release, weight: 1 }] });
        this.boundary();
        this.setPhase(d, 'succeeded');
        return undefined;
      }
    }
  }

  private applyFailure(d: Deployment, actions: readonly FailureAction[]): void {
    const env = d.env as Env;
    for (const a of actions) {
      switch (a.kind) {
        case 'fail':
          this.setPhase(d, 'failed', { reason: d.reason ?? 'failed', final: a.final });
          break;
        case 'roll_back':
          this.setPhase(d, 'rolling_back', { reason: d.reason ?? 'failed' });
          break;
        case 'restore':
          this.applyRoutes(env, [{ release: a.to, weight: 1 }, { release: a.from, weight: 0 }], a.to);
          break;
        case 'unroute':
          this.proxy.delete(env);
          this.boundary();
          this.envState.set(env, { currentRelease: undefined, routes: [] });
          this.boundary();
          break;
        case 'retire':
          for (const r of a.releases) this.retire(env, r);
          break;
        case 'route':
          this.applyRoutes(env, a.weights, this.envState.get(env)?.currentRelease);
          break;
        case 'mark_bad':
          // As engine/deploy/apply.ts: a resumed failure marks (and records) it once.
          if (this.events.some((e) => e.subject === d.id && e.kind === 'deployment.digest_marked_bad')) break;
          this.bad.get(env)?.add(a.digest);
          this.boundary();
          this.event('deployment.digest_marked_bad', d.id, { digest: a.digest });
          break;
        case 'rolled_back':
          this.setPhase(d, 'rolled_back', { reason: d.reason ?? 'failed' });
          break;
        case 'hold':
        case 'notify':
          break;
      }
    }
  }

  /** The next control plane records what a rollback undid, when a crash came in between (Deployer.finishRollback). */
  finishRollback(env: Env): void {
    const last = [...this.history(env)].reverse().find((d) => d.phase === 'succeeded');
    if (last?.trigger === 'rollback' && !this.history(env).some((d) => d.reason === `rolled back by ${last.id}`)) this.markRolledBack(last);
  }

  private markRolledBack(rb: Deployment): void {
    const undone = this.deployments.find((x) => x.id !== rb.id && x.env === rb.env && x.release === rb.previousRelease && x.phase === 'succeeded');
    if (!undone) return;
    this.setPhase(undone, 'rolled_back', { reason: `rolled back by ${rb.id}` });
  }

  /** A new control plane: unrecorded instances are swept, what was in flight is resumed. */
  restart(): void {
    this.arm(undefined);
    const recorded = new Set([...this.instances.values()].flat());
    for (const id of [...this.processes.keys()]) if (!recorded.has(id)) this.processes.delete(id);
    for (const env of ENVS) this.finishRollback(env);
    // Unfinished: no finishedAt (a failure whose rollback is not done yet is `failed` but unfinished).
    for (const d of this.deployments.filter((x) => x.finishedAt === undefined)) this.execute(d);
  }
}

/** What each environment should serve, by rules written without the core. */
interface Model {
  /** Per environment, the releases that went live and still stand, oldest first (the last serves). */
  live: Map<Env, number[]>;
  bad: Map<Env, Set<string>>;
}

/** Runs one command on the world; false when it was refused (policy), which changes nothing. */
const run = (w: World, c: Command): boolean => {
  switch (c.kind) {
    case 'deploy':
    case 'config':
    case 'secret': {
      if (c.kind === 'config') {
        const r = applyConfigChanges(w.configs.get(c.env), [{ op: 'set', key: c.key, value: c.value }], { at: w.now(), actor: 'prop', env: c.env });
        if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
        if (r.changed) {
          w.configs.set(c.env, r.version);
          w.boundary(); // config.version-recorded
          w.event('config.changed', c.env, { version: r.version.version, changedKeys: r.version.changedKeys });
        }
      }
      if (c.kind === 'secret') {
        const store = w.secrets.get(c.env) as Map<string, { version: number; sealed: string }>;
        const version = (store.get(c.name)?.version ?? 0) + 1;
        store.set(c.name, { version, sealed: Buffer.from(c.value).reverse().toString('base64') });
        w.boundary(); // secret.version-recorded
        w.event('secret.set', c.env, { name: c.name, version });
      }
      const current = currentRelease(w.history(c.env));
      const digest = c.kind === 'deploy' ? c.digest : w.releases.find((r) => r.env === c.env && r.number === current)?.digest;
      if (digest === undefined) return c.kind !== 'deploy';
      const trigger: DeployTrigger = c.kind === 'deploy' ? 'deploy' : 'config';
      const policy = checkDeploy({ env: c.env, digest, trigger, force: false, digestIsBad: w.bad.get(c.env)?.has(digest) === true, configured: { kind: 'blue-green' } });
      if (!policy.ok) return false;
      w.begin(c.env, trigger, { digest }, c.healthy);
      return true;
    }
    case 'promote': {
      const source = promotionSource('staging', w.history('staging'), w.releases.filter((r) => r.env === 'staging'));
      if (!source.ok) return false;
      const policy = checkPromotion({ from: 'staging', to: 'production', force: false, succeededInSource: succeededIn(source.digest, w.history('staging')), digest: source.digest });
      if (!policy.ok) return false;
      const deploy = checkDeploy({ env: 'production', digest: source.digest, trigger: 'promote', force: false, digestIsBad: w.bad.get('production')?.has(source.digest) === true, configured: { kind: 'blue-green' } });
      if (!deploy.ok) return false;
      w.begin('production', 'promote', { digest: source.digest }, c.healthy);
      return true;
    }
    case 'rollback': {
      const releases = w.releases.filter((r) => r.env === c.env);
      const choice = chooseRollbackTarget(w.history(c.env), releases, { badDigests: w.bad.get(c.env) });
      if (!choice.ok) return false;
      w.begin(c.env, 'rollback', { release: releases.find((r) => r.number === choice.release), digest: '' }, true);
      return true;
    }
  }
};

const checkInvariants = (w: World, m: Model, secretValues: string[], context: string): void => {
  const where = (s: string): string => `${context}: ${s}`;
  // Nothing left in flight after a restart.
  for (const d of w.deployments) assert.ok(isTerminal(d.phase) && d.finishedAt !== undefined, where(`${d.id} is ${d.phase}, unfinished`));
  for (const env of ENVS) {
    const history = w.history(env);
    const current = currentRelease(history);
    const state = w.envState.get(env);
    // One current release: the store, the proxy and the model agree on it.
    assert.equal(state?.currentRelease, current, where(`${env}: env state says ${String(state?.currentRelease)}, history ${String(current)}`));
    const served = (w.proxy.get(env) ?? []).filter((x) => x.weight > 0).map((x) => x.release);
    assert.deepEqual(served, current === undefined ? [] : [current], where(`${env}: the proxy serves ${JSON.stringify(served)}, current is ${String(current)}`));
    assert.equal(current, m.live.get(env)?.at(-1), where(`${env}: the model serves ${String(m.live.get(env)?.at(-1))}, the world ${String(current)}`));
    // Each side effect at most once: one instance per release, only of recorded ones, only of releases kept warm.
    const running = [...w.processes.entries()].filter(([, p]) => p.env === env);
    const recorded = new Set([...w.instances.values()].flat());
    for (const [id] of running) assert.ok(recorded.has(id), where(`${id} runs but is not recorded`));
    const perRelease = new Map<number, number>();
    for (const [, p] of running) perRelease.set(p.release, (perRelease.get(p.release) ?? 0) + 1);
    for (const [r, n] of perRelease) assert.ok(n <= 1, where(`${env} v${r} runs ${n} instances`));
    if (current !== undefined) assert.equal(perRelease.get(current), 1, where(`${env}'s current v${current} is not running`));
    // A deployment that did not go live is recorded as failed or rolled back, with its reason.
    for (const d of history) if (d.phase !== 'succeeded') assert.ok(d.reason, where(`${d.id} ended ${d.phase} without a reason`));
    assert.deepEqual([...(w.bad.get(env) ?? [])].sort(), [...(m.bad.get(env) ?? [])].sort(), where(`${env}: bad digests`));
  }
  for (const d of w.deployments) {
    const ends = w.events.filter((e) => e.subject === d.id && e.kind === 'deployment.phase' && (e.data.phase === 'succeeded' || e.data.phase === 'rolled_back')).length;
    assert.ok(ends <= 1 || (ends === 2 && d.phase === 'rolled_back'), where(`${d.id} recorded its end ${ends} times`));
    assert.ok(w.events.filter((e) => e.subject === d.id && e.kind === 'deployment.digest_marked_bad').length <= 1, where(`${d.id} marked its digest bad more than once`));
    assert.ok(w.events.filter((e) => e.subject === d.id && e.kind === 'deployment.created').length <= 1, where(`${d.id} created more than once`));
  }
  // The event chain verifies; no secret value in any record.
  assert.equal(verifyChain(w.events).ok, true, where('the event chain does not verify'));
  const records = JSON.stringify({ r: w.releases, d: w.deployments, e: w.events, c: [...w.configs.values()], s: [...w.secrets.values()].map((m) => [...m.entries()]) });
  for (const v of secretValues) assert.ok(!records.includes(v), where('a secret value is in a record'));
};

/**
 * The model's rules, knowing only the command and whether its deployment was recorded (a crash
 * before the intent leaves nothing to resume, and the command failed): a deployment that passes
 * its verification serves, a rollback goes back to the release before, a failed deploy or
 * promotion marks its digest bad (a failed config change does not: its config is to blame).
 */
const follow = (w: World, m: Model, c: Command, before: number): void => {
  const d = w.deployments.at(-1);
  if (d === undefined || w.deployments.length === before) return;
  const env = d.env as Env;
  const live = m.live.get(env) ?? [];
  if (c.kind === 'rollback') {
    live.pop();
    m.live.set(env, live);
    return;
  }
  if (c.healthy) live.push(d.release);
  else if (c.kind === 'deploy' || c.kind === 'promote') m.bad.get(env)?.add(d.digest);
  m.live.set(env, live);
};

const env = fc.constantFrom<Env>(...ENVS);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deploy' as const), env, digest: fc.constantFrom(...DIGESTS), healthy: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('promote' as const), healthy: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rollback' as const), env }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('config' as const), env, key: fc.constantFrom('A', 'B'), value: fc.stringMatching(/^[a-z0-9]{1,8}$/), healthy: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('secret' as const), env, name: fc.constantFrom('TOKEN', 'KEY'), value: fc.stringMatching(/^[A-Za-z0-9]{16,24}$/), healthy: fc.boolean() }) },
);
const step: fc.Arbitrary<Step> = fc.record({ command, crashAt: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined, freq: 2 }) });

const SEED = ((raw = process.env.SLIPWAY_PROPERTY_SEED ?? '20261205'): number => {
  if (!/^-?[0-9]{1,10}$/.test(raw)) throw new Error(`SLIPWAY_PROPERTY_SEED must be a whole number, not "${raw.slice(0, 40)}"`);
  return Number(raw);
})();

describe('crash property: random deploy, promote, rollback, config, secret and crash sequences', () => {
  test('keep the invariants and agree with the model', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const w = new World();
        const m: Model = { live: new Map(), bad: new Map(ENVS.map((e) => [e, new Set<string>()])) };
        const secretValues: string[] = [];
        steps.forEach((s, i) => {
          if (s.command.kind === 'secret') secretValues.push(s.command.value);
          const before = w.deployments.length;
          w.arm(s.crashAt);
          let crashed = false;
          try {
            run(w, s.command);
          } catch (e) {
            if (!(e instanceof Crash)) throw e;
            crashed = true;
          }
          if (crashed) w.restart();
          follow(w, m, s.command, before);
          checkInvariants(w, m, secretValues, `step ${i + 1} (${JSON.stringify(s)})`);
        });
      }),
      // The seed is fixed (SLIPWAY_PROPERTY_SEED changes it) and printed by fast-check on a failure.
      { numRuns: 300, seed: SEED },
    );
  });
});
