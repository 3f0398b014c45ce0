// Releases and deployments: the domain records and their closed sets of phases (SPEC §3).

/**
 * `awaiting_approval`: the environment says `approval: required`; nothing has started, and nothing
 * does until a person other than the requester approves (→ `pending`) or rejects it (→ `rejected`,
 * final), its requester withdraws it (→ `canceled`), or its `approval_timeout` passes (→ `rejected`).
 *
 * `held`: the verification failed in an environment with `rollback: manual`; the release keeps
 * serving at its current step until a person rolls it back or carries on (`--continue`).
 */
export type DeploymentPhase = 'awaiting_approval' | 'pending' | 'starting' | 'verifying' | 'held' | 'succeeded' | 'failed' | 'rolling_back' | 'rolled_back' | 'canceled' | 'rejected';

export const TERMINAL_PHASES: readonly DeploymentPhase[] = ['succeeded', 'failed', 'rolled_back', 'canceled', 'rejected'];
export const isTerminal = (p: DeploymentPhase): boolean => TERMINAL_PHASES.includes(p);

/** The phases a deployment may move to from each phase; anything else is a bug. */
const NEXT: Record<DeploymentPhase, readonly DeploymentPhase[]> = {
  // Approved: it starts as any deployment; rejected (by a person or the timeout) or withdrawn: it never starts.
  awaiting_approval: ['pending', 'rejected', 'canceled'],
  // A rollback to a warm release starts nothing: pending → verifying → succeeded.
  pending: ['starting', 'verifying', 'failed', 'canceled'],
  starting: ['verifying', 'failed', 'canceled'],
  verifying: ['succeeded', 'held', 'failed', 'canceled'],
  // `slipway deploy --continue` carries on verifying; `slipway rollback` rolls it back.
  held: ['verifying', 'rolling_back', 'failed'],
  // A later rollback undoes a deployment that succeeded: it is recorded as rolled back.
  succeeded: ['rolling_back', 'rolled_back'],
  failed: ['rolling_back'],
  rolling_back: ['rolled_back', 'failed'],
  rolled_back: [],
  canceled: [],
  rejected: [],
};

export const canMove = (from: DeploymentPhase, to: DeploymentPhase): boolean => NEXT[from].includes(to);

/** A move `canMove` refuses: a bug in Slipway, never a user's mistake. */
export class IllegalPhaseMove extends Error {
  override readonly name = 'IllegalPhaseMove';
  constructor(id: string, from: DeploymentPhase, to: DeploymentPhase) {
    super(`internal error: deployment ${id} cannot move from ${from} to ${to} (allowed from ${from}: ${NEXT[from].join(', ') || 'nothing, it is final'})`);
  }
}

/** Throws IllegalPhaseMove unless `from` → `to` is allowed. */
export const assertMove = (id: string, from: DeploymentPhase, to: DeploymentPhase): void => {
  if (!canMove(from, to)) throw new IllegalPhaseMove(id, from, to);
};

/**
 * Why a deployment failed, decided once when it fails and stored with it, so that a control plane
 * that resumes the failure decides the same way: `start` (the release did not start), `check` (a
 * verification check breached), `crash` (an instance crashed while watched), `inconclusive` (the
 * verification could not judge: too little traffic, a broken provider), `alert` (an alert fired
 * for it), `canceled` (a person stopped it), `error` (anything else: the proxy, the store…).
 */
export type FailureCause = 'start' | 'check' | 'crash' | 'inconclusive' | 'alert' | 'canceled' | 'error';

/** Causes that say something against the release itself: its digest is to blame. */
export const BLAMING_CAUSES: readonly FailureCause[] = ['check', 'crash', 'alert'];

/** Causes that are a verdict of the verification: with `rollback: manual` they hold the release. */
export const VERIFICATION_CAUSES: readonly FailureCause[] = ['check', 'crash', 'inconclusive'];

export type DeployTrigger = 'deploy' | 'promote' | 'rollback' | 'auto' | 'config' | 'up';

/** A release: one artifact digest plus one config version for one environment; immutable. */
export interface Release {
  env: string;
  number: number;
  digest: string;
  commit: string;
  configVersion: number;
  /** Secret versions it was made with, by name; never values. */
  secretVersions: Record<string, number>;
  /** Version of the environment's infrastructure settings (`slipway env set`); 0 or absent: none. */
  settingsVersion?: number;
  /** The image its containers run, `host/repository@sha256:…` (runtime: docker); absent: processes. */
  image?: string;
  createdAt: string;
  createdBy: string;
}

export interface Deployment {
  id: string;
  env: string;
  release: number;
  digest: string;
  commit: string;
  author: string;
  trigger: DeployTrigger;
  actor: string;
  strategy: 'blue-green' | 'canary';
  phase: DeploymentPhase;
  /** The release that was current when this deployment started, if any. */
  previousRelease?: number;
  startedAt: string;
  finishedAt?: string;
  reason?: string;
  /** For a deployment that was rolled back (or a rollback): the release traffic went back to. */
  rolledBackTo?: number;
  /** True when a policy was overridden with --force (recorded, never silent). */
  forced: boolean;
  /**
   * Why it failed (see FailureCause); for a rollback asked for by an alert, `alert` from the
   * start, with the alert in `reason`.
   */
  cause?: FailureCause;
  /** The release itself is to blame for the failure: its digest is marked bad (unless a config change). */
  blame?: boolean;
  /** Awaiting approval with an `approval_timeout`: when it is rejected if nobody decided. */
  approvalDeadline?: string;
}

export const releaseLabel = (n: number): string => `v${n}`;
