// Deciding on a deployment that awaits approval (`approval: required`): approve (it starts),
// reject (it never starts), withdraw (its requester cancels it), or the timeout's rejection. Each
// decision is taken under the environment's lease, so that of two at once exactly one wins and
// the other is told why (409), and is recorded in the event log with who decided and why.
import { randomUUID } from 'node:crypto';
import { approvalExpired, decideApproval, type Verdict } from '../../core/deployment/approval.js';
import { currentRelease } from '../../core/deployment/history.js';
import { releaseLabel } from '../../core/deployment/types.js';
import { formatMs } from '../../core/duration.js';
import { SlipwayError } from '../../core/errors.js';
import type { StoredDeployment } from '../../ports/store.js';
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import { record, setPhase } from './apply.js';
import { lockOrThrow } from './lock.js';

/** Starts an approved deployment that holds its lease (Deployer.execute). */
type Execute = (d: StoredDeployment, holder: string) => { deployment: StoredDeployment };

const mustGet = async (ctx: EngineContext, id: string): Promise<StoredDeployment> => {
  const d = await ctx.store.getDeployment(id);
  if (!d) throw new SlipwayError('not_found', `no deployment "${id}"`, 'see the deployments awaiting approval with `slipway status`');
  return d;
};

const checked = (d: StoredDeployment, verdict: Verdict, by: string): void => {
  const decision = decideApproval(d, { verdict, by });
  if (!decision.ok) throw new SlipwayError(decision.code, decision.message, decision.hint, { phase: d.phase });
};

/**
 * `slipway approve dN` / `reject dN` by the actor of the request. Approved: the deployment starts
 * (its time counts from now) unless the environment changed since it was asked for (a rollback
 * meanwhile): then it is refused, as its plan no longer fits. Rejected: it is finished, never started.
 */
export const decideOn = async (ctx: EngineContext, execute: Execute, id: string, verdict: Verdict, comment: string | undefined): Promise<StoredDeployment> => {
  const by = ctx.actor;
  let d = await mustGet(ctx, id);
  await expireOne(ctx, d);
  d = await mustGet(ctx, id);
  checked(d, verdict, by);
  const holder = `lease-${randomUUID().slice(0, 8)}`;
  await lockOrThrow(ctx, d.env, holder, `${d.id}: ${verdict} by ${by}`);
  try {
    // Read again under the lock: another decision may have been taken meanwhile.
    d = await mustGet(ctx, id);
    checked(d, verdict, by);
    if (verdict === 'reject') {
      await record(ctx, d, 'deployment.decided', { decision: 'reject', by, comment: comment ?? null });
      await setPhase(ctx, d, 'rejected', { reason: `rejected by ${by}${comment === undefined ? '' : `: ${comment}`}` });
      await ctx.store.releaseLease(d.env, holder);
      return d;
    }
    const now = currentRelease(await ctx.store.listDeployments(d.env, 1000));
    if (now !== d.previousRelease) {
      throw new SlipwayError(
        'conflict',
        `${d.env} changed since ${d.id} was asked for: it serves ${now === undefined ? 'nothing' : releaseLabel(now)} now, not ${d.previousRelease === undefined ? 'nothing' : releaseLabel(d.previousRelease)}, so ${d.id}'s plan no longer fits`,
        `reject it (\`slipway reject ${d.id}\`) and ask for the deployment again`,
        { phase: d.phase },
      );
    }
    await record(ctx, d, 'deployment.decided', { decision: 'approve', by, comment: comment ?? null });
    d.startedAt = isoNow(ctx);
    await ctx.store.updateDeployment(d.id, { startedAt: d.startedAt });
    await setPhase(ctx, d, 'pending', { reason: `approved by ${by}${comment === undefined ? '' : `: ${comment}`}` });
  } catch (e) {
    await ctx.store.releaseLease(d.env, holder);
    throw e;
  }
  return execute(d, holder).deployment;
};

/** A cancel of a deployment awaiting approval: withdrawn, it never starts (recorded with who). */
export const withdraw = async (ctx: EngineContext, d: StoredDeployment): Promise<StoredDeployment> => {
  const holder = `lease-${randomUUID().slice(0, 8)}`;
  await lockOrThrow(ctx, d.env, holder, `${d.id}: withdrawn by ${ctx.actor}`);
  try {
    const now = await mustGet(ctx, d.id);
    if (now.phase !== 'awaiting_approval') throw new SlipwayError('conflict', `${d.id} is not awaiting approval: it is ${now.phase}`);
    await record(ctx, now, 'deployment.decided', { decision: 'withdraw', by: ctx.actor, comment: null });
    await setPhase(ctx, now, 'canceled', { reason: `withdrawn by ${ctx.actor} before anyone decided` });
    return now;
  } finally {
    await ctx.store.releaseLease(d.env, holder);
  }
};

/** Rejects `d` if it waited past its approval_timeout (recorded as decided by `slipway`); else nothing. */
const expireOne = async (ctx: EngineContext, d: StoredDeployment): Promise<void> => {
  if (!approvalExpired(d, Date.now())) return;
  const holder = `expire-${randomUUID().slice(0, 8)}`;
  // A decision in progress holds the lease: it decides, or the next check does.
  const lease = await ctx.store.acquireLease({ env: d.env, holder, purpose: `${d.id}: approval timed out` }, Date.now(), 5_000);
  if (!lease.ok) return;
  try {
    const now = await ctx.store.getDeployment(d.id);
    if (!now || !approvalExpired(now, Date.now())) return;
    const waited = formatMs(Date.parse(now.approvalDeadline ?? now.startedAt) - Date.parse(now.startedAt));
    const reason = `nobody approved it within ${waited} (approval_timeout): rejected`;
    const at = isoNow(ctx);
    await ctx.store.updateDeployment(now.id, { phase: 'rejected', finishedAt: at, reason });
    // The decision is Slipway's, not the owner's: recorded as `slipway`.
    for (const [kind, data] of [
      ['deployment.decided', { decision: 'reject', by: 'slipway', comment: reason, timeout: true }],
      ['deployment.phase', { phase: 'rejected', release: now.release, reason }],
    ] as const) {
      const event = await ctx.store.appendEvent({ kind, actor: 'slipway', subject: now.id, data }, at);
      ctx.bus.publish({ type: 'event', event });
    }
  } finally {
    await ctx.store.releaseLease(d.env, holder);
  }
};

/** Rejects every deployment (of `env`, or of all) that waited past its approval_timeout. */
export const expireApprovals = async (ctx: EngineContext, env?: string): Promise<string[]> => {
  const expired: string[] = [];
  for (const d of await ctx.store.unfinishedDeployments()) {
    if ((env !== undefined && d.env !== env) || !approvalExpired(d, Date.now())) continue;
    await expireOne(ctx, d);
    if ((await ctx.store.getDeployment(d.id))?.phase === 'rejected') expired.push(d.id);
  }
  return expired;
};
