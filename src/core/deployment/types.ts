// Releases and deployments: the domain records and their closed sets of phases (SPEC §3).

export type DeploymentPhase = 'pending' | 'starting' | 'verifying' | 'succeeded' | 'failed' | 'rolling_back' | 'rolled_back' | 'canceled';

export const TERMINAL_PHASES: readonly DeploymentPhase[] = ['succeeded', 'failed', 'rolled_back', 'canceled'];
export const isTerminal = (p: DeploymentPhase): boolean => TERMINAL_PHASES.includes(p);

/** The phases a deployment may move to from each phase; anything else is a bug. */
const NEXT: Record<DeploymentPhase, readonly DeploymentPhase[]> = {
  pending: ['starting', 'failed', 'canceled'],
  starting: ['verifying', 'failed', 'canceled'],
  verifying: ['succeeded', 'failed', 'canceled'],
  succeeded: ['rolling_back'],
  failed: ['rolling_back'],
  rolling_back: ['rolled_back', 'failed'],
  rolled_back: [],
  canceled: [],
};

export const canMove = (from: DeploymentPhase, to: DeploymentPhase): boolean => NEXT[from].includes(to);

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
}

export const releaseLabel = (n: number): string => `v${n}`;
