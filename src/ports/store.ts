// The store port: everything Slipway remembers. The embedded adapter is SQLite
// (adapters/store/sqlite); a PostgreSQL adapter implements the same interface later, which is why
// every method is asynchronous even though SQLite answers synchronously.
//
// Contract: state transitions (run and step status, artifacts, events) are durable when the
// returned promise resolves; log lines may be buffered and are durable after `flushLogs()`.
// Only the control plane (`slipway server`) holds a writable store.
import type { StoredEvent, EventInput, ChainVerdict } from '../core/events/chain.js';
import type { LogLine, RunRecord, RunStatus, StepRecord, StepStatus } from '../core/run.js';
import type { Deployment, Release } from '../core/deployment/types.js';
import type { DeployAction, Weight } from '../core/deployment/plan.js';
import type { Lease, LeaseDecision } from '../core/deployment/lease.js';
import type { InstanceInfo } from './runtime.js';

export interface ArtifactRecord {
  digest: string;
  commit: string;
  runId?: string;
  /** Digest of the build definition (build section of slipway.yaml), part of the build-once key. */
  buildKey: string;
  size: number;
  files: number;
  createdAt: string;
}

/** A run as the engine asks for it: what it runs and who asked (RunRecord's fields), and its steps. */
export interface NewRun extends Pick<RunRecord, 'app' | 'commit' | 'ref' | 'message' | 'author' | 'trigger' | 'actor'> {
  configDigest: string;
  steps: Pick<StepRecord, 'name' | 'kind' | 'needs'>[];
}

export interface RunPatch {
  status?: RunStatus;
  startedAt?: string;
  finishedAt?: string;
  digest?: string;
  reason?: string;
}

export interface StepPatch {
  status?: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  attempts?: number;
}

/** A deployment as stored: the record plus its plan and how far it got (for resuming). */
export interface StoredDeployment extends Deployment {
  plan: DeployAction[];
  /** Index of the next action of the plan to apply. */
  step: number;
}

export type NewDeployment = Omit<StoredDeployment, 'id' | 'finishedAt' | 'rolledBackTo'>;

export interface DeploymentPatch {
  /** Refused (IllegalPhaseMove) unless canMove from the stored phase. */
  phase?: Deployment['phase'];
  cause?: Deployment['cause'];
  blame?: boolean;
  finishedAt?: string;
  reason?: string;
  rolledBackTo?: number;
  step?: number;
  plan?: DeployAction[];
  /** Set again when an approved deployment starts: its time counts from the approval. */
  startedAt?: string;
}

/** Desired state of an environment (what should run), apart from observed state (instances). */
export interface EnvState {
  env: string;
  port?: number;
  currentRelease?: number;
  routes: Weight[];
  updatedAt: string;
}

export interface DeploymentStore {
  createRelease(r: Release): Promise<void>;
  listReleases(env: string): Promise<Release[]>;
  getRelease(env: string, n: number): Promise<Release | undefined>;

  /** Durable before it returns: the intent is written before any side effect. */
  createDeployment(d: NewDeployment): Promise<StoredDeployment>;
  updateDeployment(id: string, patch: DeploymentPatch): Promise<void>;
  getDeployment(id: string): Promise<StoredDeployment | undefined>;
  /** Newest first. */
  listDeployments(env: string | undefined, limit: number): Promise<StoredDeployment[]>;
  unfinishedDeployments(): Promise<StoredDeployment[]>;

  getEnvState(env: string): Promise<EnvState | undefined>;
  listEnvStates(): Promise<EnvState[]>;
  putEnvState(s: EnvState): Promise<void>;

  /** Atomically takes, renews or refuses the environment's deploy lease. */
  acquireLease(want: { env: string; holder: string; purpose: string }, now: number, ttlMs: number): Promise<LeaseDecision>;
  releaseLease(env: string, holder: string): Promise<void>;
  getLease(env: string): Promise<Lease | undefined>;

  putInstances(env: string, release: number, instances: InstanceInfo[]): Promise<void>;
  removeInstances(env: string, release: number): Promise<void>;
  listInstances(): Promise<InstanceInfo[]>;

  /** The verification state of one verify action of a deployment (plain JSON), for resuming it. */
  putVerification(deploymentId: string, action: number, record: unknown): Promise<void>;
  getVerification(deploymentId: string, action: number): Promise<unknown>;

  markBadDigest(digest: string, env: string, reason: string, at: string): Promise<void>;
  badDigests(env: string): Promise<Set<string>>;
}

export interface Store extends DeploymentStore {
  /** Schema version after migrations. */
  readonly schemaVersion: number;

  createRun(run: NewRun, at: string): Promise<RunRecord>;
  updateRun(id: string, patch: RunPatch): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(limit: number): Promise<RunRecord[]>;
  /** Runs left `queued` or `running` by a control plane that stopped without finishing them. */
  unfinishedRuns(): Promise<RunRecord[]>;

  getSteps(runId: string): Promise<StepRecord[]>;
  updateStep(runId: string, name: string, patch: StepPatch): Promise<void>;

  /** Buffers a log line, numbering it within its run; lines are written in batches. */
  appendLog(line: Omit<LogLine, 'seq'>): LogLine;
  flushLogs(): Promise<void>;
  /** Log lines of a run after `afterSeq`, in order. */
  readLogs(runId: string, afterSeq?: number, limit?: number): Promise<LogLine[]>;
  /**
   * Retention: replaces the output of every run that finished (passed, failed, canceled) before
   * `finishedBefore` (ISO) by one `slipway` line, `note`; a run whose output is already that line is
   * left alone, a run not finished is never touched. Answers how many runs and bytes of text went
   * (with `dryRun`, would go; nothing changes).
   */
  expireRunLogs(finishedBefore: string, note: string, at: string, opts?: { dryRun?: boolean }): Promise<{ runs: number; bytes: number }>;

  putArtifact(a: ArtifactRecord): Promise<void>;
  getArtifact(digest: string): Promise<ArtifactRecord | undefined>;
  findArtifact(commit: string, buildKey: string): Promise<ArtifactRecord | undefined>;
  listArtifacts(limit: number): Promise<ArtifactRecord[]>;

  /** Benchmark samples a run's bench step produced (the documented JSON shape, as parsed). */
  putBenchResult(runId: string, step: string, metrics: unknown[]): Promise<void>;
  /** The samples of the newest passed run other than `excludeRunId` with results for `step`. */
  baselineBench(step: string, excludeRunId: string): Promise<{ runId: string; metrics: unknown[] } | undefined>;

  /** Appends an event to the hash-chained log and returns it as stored. */
  appendEvent(e: EventInput, at: string): Promise<StoredEvent>;
  listEvents(opts: { subject?: string; afterSeq?: number; limit?: number }): Promise<StoredEvent[]>;
  verifyEvents(): Promise<ChainVerdict>;

  close(): Promise<void>;
}
