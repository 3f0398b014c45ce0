// The store port: everything Slipway remembers. The embedded adapter is SQLite
// (adapters/store/sqlite); a PostgreSQL adapter implements the same interface later, which is why
// every method is asynchronous even though SQLite answers synchronously.
//
// Contract: state transitions (run and step status, artifacts, events) are durable when the
// returned promise resolves; log lines may be buffered and are durable after `flushLogs()`.
// Only the control plane (`slipway server`) holds a writable store.
import type { StoredEvent, EventInput, ChainVerdict } from '../core/events/chain.js';
import type { LogLine, RunRecord, RunStatus, StepRecord, StepStatus } from '../core/run.js';

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

export interface NewRun {
  app: string;
  commit: string;
  ref: string;
  message: string;
  author: string;
  trigger: string;
  actor: string;
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

export interface Store {
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

  putArtifact(a: ArtifactRecord): Promise<void>;
  getArtifact(digest: string): Promise<ArtifactRecord | undefined>;
  findArtifact(commit: string, buildKey: string): Promise<ArtifactRecord | undefined>;
  listArtifacts(limit: number): Promise<ArtifactRecord[]>;

  /** Appends an event to the hash-chained log and returns it as stored. */
  appendEvent(e: EventInput, at: string): Promise<StoredEvent>;
  listEvents(opts: { subject?: string; afterSeq?: number; limit?: number }): Promise<StoredEvent[]>;
  verifyEvents(): Promise<ChainVerdict>;

  close(): Promise<void>;
}
