// Plan, then apply: planDeployment (planRollback for a rollback) decides, as data, every action a
// deployment takes, and planFailure (failure.ts) every action of its failure; the engine applies
// the actions one by one and records each. The plan is recorded with the deployment
// (`deployment.created`).
import type { Strategy } from '../config/types.js';

export interface Weight {
  release: number;
  weight: number;
}

/**
 * One action of a plan. `label` is for people only: no decision reads it. A verify action's
 * `baseline` is the stable release taking the rest of the traffic (a canary step), compared with
 * the release under test; absent once the release has all the traffic.
 */
export type DeployAction =
  | { kind: 'start'; release: number; instances: number }
  | RouteAction
  | { kind: 'verify'; release: number; durationMs: number; label: string; baseline?: number }
  | RetireAction
  | { kind: 'succeed' };

type RouteAction = { kind: 'route'; weights: Weight[]; label: string };
type RetireAction = { kind: 'retire'; releases: number[] };

/** The actions of a failure (planFailure), applied by the same engine as a deployment's plan. */
export type FailureAction =
  | RouteAction
  | RetireAction
  /** The deployment failed; `final`: nothing is left to undo (it is finished). */
  | { kind: 'fail'; final: boolean }
  /** Traffic is going back: the deployment is rolling back. */
  | { kind: 'roll_back' }
  /** `to` takes all the traffic at once, `from` stays routed at weight 0 until it is retired. */
  | { kind: 'restore'; to: number; from: number }
  /** There is nothing to go back to: the environment stops being served. */
  | { kind: 'unroute' }
  /** The digest is marked bad in the environment: automation never deploys it again. */
  | { kind: 'mark_bad'; digest: string }
  /** The rollback is done; `to`: the release serving again. */
  | { kind: 'rolled_back'; to?: number }
  /** `rollback: manual`: the release keeps serving as it is (routes unchanged) until a person decides. */
  | { kind: 'hold' }
  /** Outgoing notifications (slipway.yaml `notifications`) about how it ended. */
  | { kind: 'notify'; event: 'failed' | 'rolled_back' | 'held' };

export interface PlanInput {
  release: number;
  instances: number;
  strategy: Strategy;
  /** The current release, if one is serving. */
  previous?: number;
  /** Releases with instances running (warm), including the previous one. */
  running: number[];
  /** How long a release is watched once it has all the traffic (0: no window). */
  verifyWindowMs: number;
}

const pct = (w: number): string => `${Math.round(w * 100)}%`;

/**
 * The actions of one deployment. The previous release keeps running at weight 0 until the new one
 * is done, and stays warm afterwards so that a rollback is a pointer swap; older releases retire.
 *
 * @example
 * planDeployment({ release: 4, instances: 2, strategy: { kind: 'canary', steps: [0.1, 1], pauseMs: 5000 },
 *   previous: 3, running: [3], verifyWindowMs: 30000 })
 * // start v4 → route 10 % → verify 5 s → route 100 % (v3 at 0) → verify 30 s → retire [] → succeed
 */
export const planDeployment = (p: PlanInput): DeployAction[] => {
  const actions: DeployAction[] = [{ kind: 'start', release: p.release, instances: p.instances }];
  const prev = p.previous !== undefined && p.previous !== p.release ? p.previous : undefined;
  const all = (): Weight[] => (prev === undefined ? [{ release: p.release, weight: 1 }] : [{ release: p.release, weight: 1 }, { release: prev, weight: 0 }]);
  if (p.strategy.kind === 'canary' && prev !== undefined) {
    for (const step of p.strategy.steps) {
      if (step >= 1) break;
      actions.push({ kind: 'route', weights: [{ release: p.release, weight: step }, { release: prev, weight: 1 - step }], label: `canary ${pct(step)}` });
      actions.push({ kind: 'verify', release: p.release, durationMs: p.strategy.pauseMs, label: `canary ${pct(step)}`, baseline: prev });
    }
  }
  actions.push({ kind: 'route', weights: all(), label: '100%' });
  if (p.verifyWindowMs > 0) actions.push({ kind: 'verify', release: p.release, durationMs: p.verifyWindowMs, label: 'window' });
  const keep = new Set([p.release, ...(prev === undefined ? [] : [prev])]);
  const retire = p.running.filter((r) => !keep.has(r));
  if (retire.length > 0) actions.push({ kind: 'retire', releases: retire });
  actions.push({ kind: 'succeed' });
  return actions;
};

/**
 * The actions of a rollback from `current` to `target`: a pointer swap when the target is warm,
 * else a cold start first. The release rolled back from stays warm at weight 0 (it may be needed
 * for the investigation, and it retires with the next deployment).
 */
export const planRollback = (p: { target: number; current?: number; instances: number; running: number[] }): DeployAction[] => {
  const actions: DeployAction[] = [];
  if (!p.running.includes(p.target)) actions.push({ kind: 'start', release: p.target, instances: p.instances });
  const weights: Weight[] = [{ release: p.target, weight: 1 }];
  if (p.current !== undefined && p.current !== p.target) weights.push({ release: p.current, weight: 0 });
  actions.push({ kind: 'route', weights, label: 'rollback' });
  const keep = new Set(weights.map((w) => w.release));
  const retire = p.running.filter((r) => !keep.has(r));
  if (retire.length > 0) actions.push({ kind: 'retire', releases: retire });
  actions.push({ kind: 'succeed' });
  return actions;
};
