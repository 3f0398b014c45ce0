// The deploy use cases: deploy a digest, promote the digest verified in another environment, roll
// back. Each checks policy, takes the environment's lease, writes the release and the deployment
// (the intent) durably, and only then starts applying the plan in the background.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { LEASE_MS } from '../../core/deployment/lease.js';
import { chooseRollbackTarget, currentRelease, nextReleaseNumber, promotionSource, succeededIn } from '../../core/deployment/history.js';
import { planDeployment, planRollback, type DeployAction } from '../../core/deployment/plan.js';
import { alreadyServes, checkDeploy, checkPromotion, chooseDeploySource, type ServingFacts } from '../../core/deployment/policy.js';
import { isTerminal, releaseLabel, type DeployTrigger, type FailureCause, type Release } from '../../core/deployment/types.js';
import { SlipwayError } from '../../core/errors.js';
import type { StoredDeployment } from '../../ports/store.js';
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import { announce, applyFailure, applyPlan, record, setPhase } from './apply.js';
import { continueCommand, failureOf, planFailure } from '../../core/deployment/failure.js';
import { withSettings } from '../../core/settings/settings.js';
import { releaseConfig, sameSnapshot } from '../envconfig/release.js';
import type { EnvironmentSpec, SlipwayConfig } from '../../config/types.js';
import { checkEnvPort } from './port-check.js';
import { lockOrThrow } from './lock.js';
import { decideOn, expireApprovals, withdraw } from './approve.js';
import type { Verdict } from '../../core/deployment/approval.js';
import { configAt, environmentOf } from './spec.js';
import { approvalDeadline, needsApproval } from '../../core/deployment/approval.js';
import { formatMs } from '../../core/duration.js';

export interface DeployRequest {
  env: string;
  digest?: string;
  strategy?: 'blue-green' | 'canary';
  force?: boolean;
  trigger?: DeployTrigger;
  /** The commit the digest is released as (promotion keeps the source release's). */
  commit?: string;
  /** The image the release runs in an environment with `runtime: docker` (promotion keeps the source release's). */
  image?: string;
}

export interface DeployHandle {
  deployment: StoredDeployment;
  done: Promise<StoredDeployment>;
  cancel(reason: string): void;
}

/** What a deploy request resolved to, before anything is locked or written. */
interface Prepared {
  req: DeployRequest;
  trigger: DeployTrigger;
  digest: string;
  commit: string;
  config: SlipwayConfig;
  envSpec: EnvironmentSpec;
  policy: Extract<ReturnType<typeof checkDeploy>, { ok: true }>;
  /** Which run and commit a deploy without --digest chose, and why. */
  note?: string;
  /** The image checked against its provenance (runtime: docker). */
  image?: string;
}

/** A deploy that needed nothing done: the environment already serves that digest and config. */
export interface DeployNoop {
  noop: string;
  env: string;
  release: number;
}

export class Deployer {
  private readonly active = new Map<string, DeployHandle>();
  /** Set on a graceful stop: interrupted deployments are left for the next control plane. */
  private stopping = false;

  constructor(private readonly ctx: EngineContext) {}

  get activeDeployments(): string[] {
    return [...this.active.keys()];
  }

  /** Deploys a digest (see `request` for what `slipway deploy` adds: the no-op). */
  async deploy(req: DeployRequest): Promise<DeployHandle> {
    return this.start(await this.prepare(req));
  }

  /**
   * `slipway deploy ENV`: like `deploy`, but a request for the digest and config the environment
   * already serves changes nothing and says so (unless --force).
   */
  async request(req: DeployRequest): Promise<(DeployHandle & { note?: string }) | DeployNoop> {
    const p = await this.prepare(req);
    const serving = await this.serving(req.env, p.commit, p.config);
    const noop = alreadyServes(req.env, p.digest, serving, req.force === true);
    if (noop !== undefined && serving !== undefined) return { noop, env: req.env, release: serving.release };
    const h = await this.start(p);
    return p.note === undefined ? h : Object.assign(h, { note: p.note });
  }

  /** The release `env` serves, compared with what a deploy of `commit`'s config would run. */
  private async serving(env: string, commit: string, config: SlipwayConfig): Promise<ServingFacts | undefined> {
    const { ctx } = this;
    const current = currentRelease(await ctx.store.listDeployments(env, 1000));
    const release = current === undefined ? undefined : await ctx.store.getRelease(env, current);
    if (release === undefined) return undefined;
    const running = ctx.runtime.list(env, release.number).some((i) => i.state === 'healthy');
    const sameYaml = release.commit === commit || isDeepStrictEqual(await configAt(ctx, release.commit), config);
    return { release: release.number, digest: release.digest, running, sameConfig: sameYaml && sameSnapshot(release, await ctx.envConfig.snapshot(env)) };
  }

  /** Resolves the digest (and, without --digest, the run), loads the config, checks policy. */
  private async prepare(req: DeployRequest): Promise<Prepared> {
    const { ctx } = this;
    await this.refuseWhileHeld(req.env);
    const trigger = req.trigger ?? 'deploy';
    let note: string | undefined;
    let ref = req.digest;
    let sourceCommit: string | undefined;
    if (ref === undefined) {
      const head = await ctx.vcs.resolve(ctx.repo, 'HEAD').catch(() => undefined);
      const source = chooseDeploySource(req.env, head?.sha, await ctx.store.listRuns(200));
      if (!source.ok) throw new SlipwayError(source.nothingBuilt === true ? 'not_found' : 'refused', source.message, source.hint);
      ref = source.run.digest;
      sourceCommit = source.run.commit;
      note = source.note;
    }
    const digest = await ctx.artifacts.resolve(ref);
    if (!digest) throw new SlipwayError('not_found', `no artifact "${ref}"`, 'list the stored artifacts with `slipway artifacts ls`');
    const check = await ctx.artifacts.verify(digest);
    if (!check.ok) throw new SlipwayError('refused', `artifact ${digest} cannot be deployed: ${check.reason}: ${check.message}`, 'rebuild it with `slipway build`');
    const artifact = await ctx.store.getArtifact(digest);
    if (!artifact) throw new SlipwayError('not_found', `artifact ${digest} is stored but has no build record`, 'rebuild it with `slipway build`');
    // Identical builds of several commits share one digest: the release belongs to the newest
    // green run that produced it, and runs with that commit's slipway.yaml.
    const runs = await ctx.store.listRuns(500);
    const commit = req.commit ?? sourceCommit ?? runs.find((r) => r.status === 'passed' && r.digest === digest)?.commit ?? artifact.commit;
    const config = await configAt(ctx, commit);
    const envSpec = environmentOf(config, req.env);
    // A digest named by hand that no passing run built: the newest run that built it failed.
    const built = runs.filter((r) => r.digest === digest);
    const failed = req.digest !== undefined && !built.some((r) => r.status === 'passed') ? built.find((r) => r.status === 'failed') : undefined;
    const policy = checkDeploy({
      env: req.env, digest, trigger, force: req.force === true, promoteFrom: envSpec.promoteFrom, digestIsBad: (await ctx.store.badDigests(req.env)).has(digest),
      configured: envSpec.strategy, requested: req.strategy, ...(failed ? { failedRun: { number: failed.number, ...(failed.reason ? { reason: failed.reason } : {}) } } : {}),
    });
    if (!policy.ok) throw new SlipwayError('refused', policy.message, policy.hint);
    const image = envSpec.runtime === 'docker' ? await this.imageOf(req, digest) : undefined;
    return { req, trigger, digest, commit, config, envSpec, policy, ...(note === undefined ? {} : { note }), ...(image === undefined ? {} : { image }) };
  }

  /**
   * The image a container release of `digest` runs, checked against its signed provenance and the
   * registry (refused otherwise, before anything is written): the one the request names (a
   * promotion), else the one a release of this environment already runs with that digest (a config
   * change), else the newest image built of the artifact.
   */
  private async imageOf(req: DeployRequest, digest: string): Promise<string> {
    const { images } = this.ctx;
    if (images === undefined) throw new SlipwayError('config', `${req.env} has runtime: docker, but this control plane cannot run images`);
    const known = req.image ?? (await this.ctx.store.listReleases(req.env)).filter((r) => r.digest === digest && r.image !== undefined).at(-1)?.image;
    const image = known === undefined ? await images.imageOf(digest) : await images.check(known, digest);
    if (image === null) {
      throw new SlipwayError('refused', `artifact ${digest} cannot run in ${req.env} (runtime: docker): ${known === undefined ? 'no image of it was built' : `the image ${known} is not recorded here`}`, 'set build.image: true with build.registry in slipway.yaml and build the commit again (slipway run)');
    }
    return image;
  }

  /** Locks the environment, writes the release and the deployment, and applies the plan. */
  private start(p: Prepared): Promise<DeployHandle> {
    const { ctx } = this;
    const { req, trigger, digest, commit, config, envSpec, policy, image } = p;
    const { strategy } = policy;
    return this.begin(req.env, trigger, policy.forced, policy.forcedReasons, async (holder) => {
      const releases = await ctx.store.listReleases(req.env);
      const history = await ctx.store.listDeployments(req.env, 1000);
      const previous = currentRelease(history);
      // The release records the environment's config, settings and secret versions of now (never values).
      const snap = await ctx.envConfig.snapshot(req.env);
      const release: Release = { env: req.env, number: nextReleaseNumber(releases), digest, commit, ...snap, ...(image === undefined ? {} : { image }), createdAt: isoNow(ctx), createdBy: ctx.actor };
      const runs = withSettings(config, req.env, await ctx.envConfig.settingsOf(release));
      // A port clash would only show at the route switch, after the new instances started.
      const port = environmentOf(runs, req.env).port ?? (await ctx.store.getEnvState(req.env))?.port;
      if (port !== undefined) await checkEnvPort(ctx, req.env, port, runs);
      await ctx.store.createRelease(release);
      ctx.crash?.at('deploy.release-created');
      const verifyWindowMs = envSpec.verify.enabled ? envSpec.verify.windowMs : 0;
      const plan = planDeployment({ release: release.number, instances: environmentOf(runs, req.env).instances ?? runs.run.instances, strategy, previous, running: this.runningReleases(req.env), verifyWindowMs });
      void holder;
      const approval = needsApproval(envSpec, trigger) ? { timeoutMs: envSpec.approvalTimeoutMs } : undefined;
      return { release, previous, plan, strategy: strategy.kind, ...(approval === undefined ? {} : { approval }) };
    });
  }

  async promote(from: string, to: string, opts: { force?: boolean }): Promise<DeployHandle> {
    const { ctx } = this;
    const source = promotionSource(from, await ctx.store.listDeployments(from, 1000), await ctx.store.listReleases(from));
    if (!source.ok) throw new SlipwayError('refused', source.message, source.hint);
    const config = await configAt(ctx, source.commit);
    const target = environmentOf(config, to);
    environmentOf(config, from);
    const policy = checkPromotion({ from, to, force: opts.force === true, targetPromoteFrom: target.promoteFrom, succeededInSource: succeededIn(source.digest, await ctx.store.listDeployments(from, 1000)), digest: source.digest });
    if (!policy.ok) throw new SlipwayError('refused', policy.message, policy.hint);
    return this.deploy({ env: to, digest: source.digest, commit: source.commit, trigger: 'promote', force: opts.force, ...(source.image === undefined ? {} : { image: source.image }) });
  }

  /**
   * Rolls back to the previous (or named) successful release. `cause` (an alert) is recorded as the
   * reason, and the digest rolled away from is marked bad so that automation never redeploys it.
   */
  async rollback(env: string, opts: { to?: number; cause?: string }): Promise<DeployHandle> {
    const { ctx } = this;
    const held = await this.heldIn(env);
    if (held) return this.rollBackHeld(held, opts);
    const history = await ctx.store.listDeployments(env, 1000);
    const releases = await ctx.store.listReleases(env);
    if (releases.length === 0) throw new SlipwayError('not_found', `nothing was ever deployed to ${env}`, `deploy first: \`slipway deploy ${env}\``);
    const choice = chooseRollbackTarget(history, releases, { to: opts.to, badDigests: await ctx.store.badDigests(env) });
    if (!choice.ok) throw new SlipwayError('refused', choice.message, choice.hint);
    const target = releases.find((r) => r.number === choice.release) as Release;
    const config = await releaseConfig(ctx, target);
    const envSpec = environmentOf(config, env);
    return this.begin(env, 'rollback', false, [], () => {
      const previous = currentRelease(history);
      const plan = planRollback({ target: target.number, current: previous, instances: envSpec.instances ?? config.run.instances, running: this.runningReleases(env) });
      // An alert's rollback is stored with its cause: the release it undoes is to blame.
      const why = opts.cause === undefined ? {} : { cause: 'alert' as const, reason: opts.cause };
      return Promise.resolve({ release: target, previous, plan, strategy: 'blue-green' as const, ...why });
    });
  }

  /** The deployment of `env` that is held (rollback: manual), if any: at most one. */
  private async heldIn(env: string): Promise<StoredDeployment | undefined> {
    return (await this.ctx.store.listDeployments(env, 20)).find((d) => d.phase === 'held');
  }

  /**
   * A held deployment, or one awaiting approval, waits for a person: nothing else deploys to its
   * environment meanwhile (an approval that timed out is rejected first, so it never blocks).
   */
  private async refuseWhileHeld(env: string): Promise<void> {
    await this.expireApprovals(env);
    const waiting = (await this.ctx.store.listDeployments(env, 20)).find((d) => d.phase === 'awaiting_approval');
    if (waiting) {
      throw new SlipwayError(
        'refused',
        `${env} has a deployment awaiting approval, ${waiting.id}: ${releaseLabel(waiting.release)} asked for by ${waiting.actor}${waiting.approvalDeadline ? ` (rejected at ${waiting.approvalDeadline} if nobody decides)` : ''}`,
        `someone other than ${waiting.actor} decides first: \`slipway approve ${waiting.id}\` or \`slipway reject ${waiting.id}\`; or withdraw it (POST /v1/deployments/${waiting.id}/cancel)`,
        { awaitingApproval: waiting.id },
      );
    }
    const held = await this.heldIn(env);
    if (!held) return;
    throw new SlipwayError(
      'refused',
      `${env} has a held deployment, ${held.id}: ${releaseLabel(held.release)} failed its verification and keeps serving as it was (rollback: manual)`,
      `decide first: \`slipway rollback ${env}\` goes back${held.previousRelease === undefined ? '' : ` to ${releaseLabel(held.previousRelease)}`}, or \`${continueCommand(held)}\` carries on past the failed verification`,
      { held: held.id },
    );
  }

  /** `slipway rollback ENV` on a held deployment: it rolls back as `rollback: auto` would have. */
  private async rollBackHeld(held: StoredDeployment, opts: { to?: number; cause?: string }): Promise<DeployHandle> {
    const { ctx } = this;
    if (opts.to !== undefined && opts.to !== held.previousRelease) {
      throw new SlipwayError('refused', `${held.id} is held in ${held.env}: a rollback now undoes it, back to ${held.previousRelease === undefined ? 'nothing served' : releaseLabel(held.previousRelease)}, not to ${releaseLabel(opts.to)}`, `run \`slipway rollback ${held.env}\` without --to first`);
    }
    const holder = `lease-${randomUUID().slice(0, 8)}`;
    await lockOrThrow(ctx, held.env, holder, `${held.id}: rollback of the held ${releaseLabel(held.release)} by ${ctx.actor}`);
    try {
      await record(ctx, held, 'deployment.decided', { decision: 'rollback', by: ctx.actor, ...(opts.cause === undefined ? {} : { cause: opts.cause }) });
      // An alert that fired for it is to blame it, whatever the verification could tell.
      if (opts.cause !== undefined) {
        Object.assign(held, failureOf('alert'));
        await ctx.store.updateDeployment(held.id, failureOf('alert'));
      }
      // Moved before answering, so that a follower of the deployment never sees it still held.
      await setPhase(ctx, held, 'rolling_back', { reason: held.reason });
    } catch (e) {
      await ctx.store.releaseLease(held.env, holder);
      throw e;
    }
    return this.execute(held, holder);
  }

  /**
   * `slipway deploy ENV --continue` (or `promote … --continue`): the held deployment of ENV carries
   * on with its plan past the verification that failed; it may be held again by a later one.
   */
  async continueHeld(env: string): Promise<DeployHandle> {
    const { ctx } = this;
    const held = await this.heldIn(env);
    if (!held) {
      throw new SlipwayError('not_found', `nothing is held in ${env}`, 'a deployment is held only when it fails its verification in an environment with `rollback: manual`; see `slipway status`');
    }
    const holder = `lease-${randomUUID().slice(0, 8)}`;
    await lockOrThrow(ctx, env, holder, `${held.id}: continuing ${releaseLabel(held.release)} by ${ctx.actor}`);
    try {
      const failed = held.plan[held.step];
      held.step += 1;
      await ctx.store.updateDeployment(held.id, { step: held.step });
      await record(ctx, held, 'deployment.decided', { decision: 'continue', by: ctx.actor, skipped: failed?.kind === 'verify' ? failed.label : null });
      await setPhase(ctx, held, 'verifying');
    } catch (e) {
      await ctx.store.releaseLease(env, holder);
      throw e;
    }
    return this.execute(held, holder);
  }

  /** `slipway approve dN` / `reject dN` (engine/deploy/approve.ts). */
  decide(id: string, verdict: Verdict, comment: string | undefined): Promise<StoredDeployment> {
    return decideOn(this.ctx, (d, holder) => this.execute(d, holder), id, verdict, comment);
  }

  /** Rejects the deployments (of `env`, or all) that waited past their approval_timeout. */
  expireApprovals(env?: string): Promise<string[]> {
    return expireApprovals(this.ctx, env);
  }

  /** A cancel of a deployment awaiting approval: it is withdrawn and never starts. */
  withdraw(d: StoredDeployment): Promise<StoredDeployment> {
    return withdraw(this.ctx, d);
  }

  private runningReleases(env: string): number[] {
    return [...new Set(this.ctx.runtime.list(env).filter((i) => i.state !== 'stopped').map((i) => i.release))];
  }

  /** Lease, intent, then the plan in the background. */
  private async begin(
    env: string,
    trigger: DeployTrigger,
    forced: boolean,
    forcedReasons: string[],
    prepare: (holder: string) => Promise<{ release: Release; previous: number | undefined; plan: DeployAction[]; strategy: 'blue-green' | 'canary'; cause?: FailureCause; reason?: string; approval?: { timeoutMs: number | undefined } }>,
  ): Promise<DeployHandle> {
    const { ctx } = this;
    const holder = `lease-${randomUUID().slice(0, 8)}`;
    await lockOrThrow(ctx, env, holder, `${trigger} by ${ctx.actor}`);
    ctx.crash?.at('deploy.locked');
    let d: StoredDeployment;
    let awaiting = false;
    try {
      // Checked again under the lock: a deployment in flight may have been held meanwhile.
      if (trigger !== 'rollback') await this.refuseWhileHeld(env);
      const p = await prepare(holder);
      const run = (await ctx.store.listRuns(200)).find((r) => r.commit === p.release.commit);
      awaiting = p.approval !== undefined;
      const startedAt = isoNow(ctx);
      const deadline = approvalDeadline(startedAt, p.approval?.timeoutMs);
      d = await ctx.store.createDeployment({
        env,
        release: p.release.number,
        digest: p.release.digest,
        commit: p.release.commit,
        author: run?.author ?? '',
        trigger,
        actor: ctx.actor,
        strategy: p.strategy,
        // With `approval: required`, nothing starts until someone other than the requester approves.
        phase: awaiting ? 'awaiting_approval' : 'pending',
        previousRelease: p.previous,
        startedAt,
        ...(deadline === undefined ? {} : { approvalDeadline: deadline }),
        forced,
        plan: p.plan,
        step: 0,
        ...(p.cause === undefined ? {} : { cause: p.cause, reason: p.reason }),
      });
      await ctx.store.acquireLease({ env, holder, purpose: `${d.id}: ${trigger} ${releaseLabel(d.release)} by ${ctx.actor}` }, Date.now(), LEASE_MS);
      await record(ctx, d, 'deployment.created', { env, release: releaseLabel(d.release), digest: d.digest, commit: d.commit, trigger, previous: p.previous === undefined ? null : releaseLabel(p.previous), plan: p.plan, forced: forcedReasons.length ? forcedReasons : null });
      ctx.crash?.at('deploy.intent-recorded');
      if (awaiting) {
        const timeoutMs = p.approval?.timeoutMs;
        await record(ctx, d, 'deployment.awaiting_approval', { release: releaseLabel(d.release), requester: ctx.actor, deadline: deadline ?? null, timeout: timeoutMs === undefined ? null : formatMs(timeoutMs) });
      }
    } catch (e) {
      await ctx.store.releaseLease(env, holder);
      throw e;
    }
    // Waiting for a person holds no lease: nothing runs, and a rollback stays possible meanwhile.
    if (awaiting) {
      await ctx.store.releaseLease(env, holder);
      return { deployment: d, done: Promise.resolve(d), cancel: () => undefined };
    }
    return this.execute(d, holder);
  }

  /** Runs (or resumes) a deployment that holds its lease, and handles its failure. */
  execute(d: StoredDeployment, holder: string): DeployHandle {
    const { ctx } = this;
    const abort = new AbortController();
    const done = (async (): Promise<StoredDeployment> => {
      try {
        if (d.phase === 'failed' || d.phase === 'rolling_back') {
          // Resumed after a crash in the middle of a rollback (or a held one rolled back): finish it, as decided then.
          await applyFailure(ctx, d, planFailure(d, { routed: true, rollback: await this.rollbackSetting(d) }));
        } else {
          const out = await applyPlan(ctx, d, holder, abort.signal);
          if (out.ok && d.trigger === 'rollback') await this.markRolledBack(d);
          if (!out.ok && this.stopping) await record(ctx, d, 'deployment.interrupted', { step: d.step, reason: 'the control plane stopped; the next one resumes this deployment' });
          // Stopped by cancel(): the cause it stored says by whom (a person, an alert).
          else if (!out.ok) await this.fail(d, out.reason, out.afterRoute, out.cause === 'canceled' ? (d.cause ?? 'canceled') : out.cause);
        }
      } catch (e) {
        if (!isTerminal(d.phase)) await this.fail(d, e instanceof Error ? e.message : String(e), true, 'error').catch(() => undefined);
      } finally {
        await ctx.store.releaseLease(d.env, holder);
        this.active.delete(d.id);
      }
      const end = (await ctx.store.getDeployment(d.id)) ?? d;
      // A failure notifies as its plan's last action.
      if (end.phase === 'succeeded') await announce(ctx, end, 'succeeded').catch(() => undefined);
      return end;
    })();
    const handle: DeployHandle = { deployment: d, done, cancel: (reason) => abort.abort(reason) };
    this.active.set(d.id, handle);
    return handle;
  }

  /**
   * A deployment that failed: its reason, cause and blame are stored with it, then its failure
   * plan is applied (planFailure: before any route changed, the previous release simply keeps
   * serving; after, traffic goes back to the previous release at once, as it is still warm).
   */
  private async fail(d: StoredDeployment, reason: string, routed: boolean, cause: FailureCause): Promise<void> {
    const f = failureOf(cause);
    Object.assign(d, { reason, cause: f.cause, blame: f.blame });
    await this.ctx.store.updateDeployment(d.id, { reason, cause: f.cause, blame: f.blame });
    await applyFailure(this.ctx, d, planFailure(d, { routed, rollback: await this.rollbackSetting(d) }));
  }

  /** The `rollback` setting of the deployment's environment, in the config of its release. */
  private async rollbackSetting(d: StoredDeployment): Promise<'auto' | 'manual'> {
    const release = await this.ctx.store.getRelease(d.env, d.release);
    if (!release) return 'auto';
    return environmentOf(await releaseConfig(this.ctx, release), d.env).rollback;
  }

  /**
   * A control plane killed between a rollback's success and the record of what it undid leaves
   * that deployment `succeeded` (a later rollback would go back to it): the next one records it.
   */
  async finishRollback(env: string): Promise<void> {
    const recent = await this.ctx.store.listDeployments(env, 50);
    const last = recent.find((d) => d.phase === 'succeeded');
    // Once: several deployments may share the release it went back from (a rollback reuses its target's).
    if (last?.trigger === 'rollback' && !recent.some((d) => d.reason?.startsWith(`rolled back by ${last.id}:`) === true || d.reason?.startsWith(`rolled back by ${last.id} (`) === true)) await this.markRolledBack(last);
  }

  /** After a rollback, the deployment it undid is recorded as rolled back, with where to. */
  private async markRolledBack(rollback: StoredDeployment): Promise<void> {
    if (rollback.previousRelease === undefined) return;
    const undone = (await this.ctx.store.listDeployments(rollback.env, 1000)).find((x) => x.id !== rollback.id && x.release === rollback.previousRelease && x.phase === 'succeeded');
    if (!undone) return;
    const cause = rollback.cause === 'alert' ? rollback.reason : undefined;
    const reason = cause ? `rolled back by ${rollback.id}: ${cause}` : `rolled back by ${rollback.id} (${this.ctx.actor})`;
    if (cause) await this.ctx.store.markBadDigest(undone.digest, undone.env, cause, isoNow(this.ctx));
    // Its own timings stay as they were: it did finish; it is undone now.
    await this.ctx.store.updateDeployment(undone.id, { phase: 'rolled_back', reason, rolledBackTo: rollback.release });
    await record(this.ctx, undone, 'deployment.phase', { phase: 'rolled_back', release: undone.release, reason });
  }

  /**
   * Stops a deployment in flight; it rolls back like a failure. Why is stored with it first: by a
   * person (Ctrl-C, the API), which says nothing against the digest, or because an alert fired
   * for it (`alert`), which marks the digest bad.
   */
  cancel(id: string, reason: string, opts: { alert?: boolean } = {}): boolean {
    const h = this.active.get(id);
    if (!h) return false;
    const f = failureOf(opts.alert === true ? 'alert' : 'canceled');
    Object.assign(h.deployment, f);
    // Canceled even if the store could not take the cause (the failure then records it again).
    const stop = (): void => h.cancel(reason);
    void this.ctx.store.updateDeployment(id, f).then(stop, stop);
    return true;
  }

  waitFor(id: string): Promise<StoredDeployment | undefined> {
    return this.active.get(id)?.done ?? this.ctx.store.getDeployment(id);
  }

  /** Interrupts deployments in flight without failing them: the next control plane resumes them. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const handles = [...this.active.values()];
    for (const h of handles) h.cancel('the control plane is stopping');
    await Promise.allSettled(handles.map((h) => h.done));
  }
}
