// The failure path of a deployment, as a plan: what a failed deployment does (go back to the
// previous release, mark its digest bad, notify) is decided here, as data, from what is stored
// with the deployment; the engine applies it like the success path's plan (plan.ts).
import type { FailureAction } from './plan.js';
import { BLAMING_CAUSES, VERIFICATION_CAUSES, type Deployment, type FailureCause } from './types.js';

export interface FailureState {
  /** The environment's `rollback` setting: `manual` holds a release that failed its verification. */
  rollback: 'auto' | 'manual';
  /**
   * Whether a route of this deployment was applied: traffic may have reached the release, so it
   * must be taken back. Before any route, the previous release simply kept serving.
   */
  routed: boolean;
}

/**
 * The actions that follow a failure of `d`, whose `cause` and `blame` are set. A deployment
 * resumed in the middle of its rollback (phase `failed` or `rolling_back`) gets only what is left.
 *
 * - Nothing routed yet, or a rollback that failed: the deployment fails, finished; its release
 *   (not a rollback's target) is retired.
 * - A verdict of the verification (a breached check, a crash, an inconclusive window) with
 *   `rollback: manual`: the release is held, serving as it is, until a person decides; a person's
 *   cancel, an alert or an error rolls back as with `auto`. A held deployment that a person rolls
 *   back rolls back as `auto` would have.
 * - Routed: traffic goes back to the previous release at once (a pointer swap: it is still warm),
 *   the failed release is retired, and, when the release itself is to blame (a breached check, a
 *   crash, an alert) and it was not a config change or stopped by a person, its digest is marked
 *   bad. With no previous release, the environment stops being served.
 *
 * @example
 * planFailure({ ...d, release: 4, previousRelease: 3, cause: 'check', blame: true, phase: 'verifying' }, { routed: true, rollback: 'auto' })
 * // fail → roll_back → restore v3 (v4 at 0) → retire v4 → route v3 100% → mark_bad → rolled_back v3 → notify
 */
export const planFailure = (d: Pick<Deployment, 'trigger' | 'phase' | 'release' | 'previousRelease' | 'digest' | 'cause' | 'blame'>, state: FailureState): FailureAction[] => {
  if (d.phase === 'verifying' && state.routed && d.trigger !== 'rollback' && state.rollback === 'manual' && d.cause !== undefined && VERIFICATION_CAUSES.includes(d.cause)) {
    return [{ kind: 'hold' }, { kind: 'notify', event: 'held' }];
  }
  if (!state.routed || d.trigger === 'rollback') {
    const actions: FailureAction[] = [{ kind: 'fail', final: true }];
    if (d.trigger !== 'rollback') actions.push({ kind: 'retire', releases: [d.release] });
    actions.push({ kind: 'notify', event: 'failed' });
    return actions;
  }
  const actions: FailureAction[] = [];
  // A held deployment goes straight to rolling back: a person decided, it did not fail again.
  if (d.phase !== 'failed' && d.phase !== 'rolling_back' && d.phase !== 'held') actions.push({ kind: 'fail', final: false });
  if (d.phase !== 'rolling_back') actions.push({ kind: 'roll_back' });
  const previous = d.previousRelease !== undefined && d.previousRelease !== d.release ? d.previousRelease : undefined;
  if (previous !== undefined) {
    actions.push({ kind: 'restore', to: previous, from: d.release });
    actions.push({ kind: 'retire', releases: [d.release] });
    actions.push({ kind: 'route', weights: [{ release: previous, weight: 1 }], label: 'rollback' });
  } else {
    actions.push({ kind: 'unroute' });
    actions.push({ kind: 'retire', releases: [d.release] });
  }
  if (blamesDigest(d)) actions.push({ kind: 'mark_bad', digest: d.digest });
  actions.push(previous === undefined ? { kind: 'rolled_back' } : { kind: 'rolled_back', to: previous });
  actions.push({ kind: 'notify', event: 'rolled_back' });
  return actions;
};

/**
 * Whether a failure says something against the digest: the release breached a check, crashed or
 * set off an alert — not when it had too little traffic, met a broken provider, was stopped by a
 * person, or when its config (a config change), not its code, was at fault.
 */
export const blamesDigest = (d: Pick<Deployment, 'trigger' | 'blame'>): boolean => d.blame === true && d.trigger !== 'config';

/** The cause and blame recorded with a deployment that failed for `cause`. */
export const failureOf = (cause: FailureCause): { cause: FailureCause; blame: boolean } => ({ cause, blame: BLAMING_CAUSES.includes(cause) });

/** The command that carries on with a held deployment past its failed verification. */
export const continueCommand = (held: Pick<Deployment, 'env' | 'trigger'>): string =>
  held.trigger === 'promote' ? `slipway promote --continue ${held.env}` : `slipway deploy ${held.env} --continue`;
