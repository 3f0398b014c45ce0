// Pipeline runs and their steps: closed sets of phases and the transitions between them.

export type RunStatus = 'queued' | 'running' | 'passed' | 'failed' | 'canceled';
export type StepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'canceled' | 'skipped';
export type StepKind = 'build' | 'command' | 'secret-scan' | 'dependency-audit' | 'bench';

export const isRunFinished = (s: RunStatus): boolean => s === 'passed' || s === 'failed' || s === 'canceled';
export const isStepFinished = (s: StepStatus): boolean =>
  s === 'passed' || s === 'failed' || s === 'canceled' || s === 'skipped';

export interface RunRecord {
  id: string;
  number: number;
  app: string;
  commit: string;
  ref: string;
  /** Commit subject and author, for history and the dashboard. */
  message: string;
  author: string;
  trigger: string;
  actor: string;
  status: RunStatus;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The artifact built by this run, if it got that far. */
  digest?: string;
  /** Why the run failed or was canceled. */
  reason?: string;
  configDigest: string;
}

export interface StepRecord {
  runId: string;
  name: string;
  kind: StepKind;
  needs: string[];
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  attempts: number;
}

export interface LogLine {
  runId: string;
  step: string;
  seq: number;
  at: string;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
}
