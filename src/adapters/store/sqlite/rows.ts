// Mapping of SQLite rows to the domain records.
import type { StoredEvent } from '../../../core/events/chain.js';
import type { RunRecord, StepRecord } from '../../../core/run.js';
import type { ArtifactRecord } from '../../../ports/store.js';

export type Row = Record<string, unknown>;

/** Runs a synchronous database call as the port's promise: its errors become rejections. */
export const attempt = <T>(fn: () => T): Promise<T> => {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
};

const opt = (v: unknown): string | undefined => (typeof v === 'string' ? v : v === null || v === undefined ? undefined : JSON.stringify(v));
const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export const rowToRun = (r: Row): RunRecord => ({
  id: String(r.id),
  number: Number(r.number),
  app: String(r.app),
  commit: String(r.commit_sha),
  ref: String(r.ref),
  message: String(r.message),
  author: String(r.author),
  trigger: String(r.trigger),
  actor: String(r.actor),
  status: r.status as RunRecord['status'],
  createdAt: String(r.created_at),
  startedAt: opt(r.started_at),
  finishedAt: opt(r.finished_at),
  digest: opt(r.digest),
  reason: opt(r.reason),
  configDigest: String(r.config_digest),
});

export const rowToStep = (r: Row): StepRecord => ({
  runId: String(r.run_id),
  name: String(r.name),
  kind: r.kind as StepRecord['kind'],
  needs: JSON.parse(String(r.needs)) as string[],
  status: r.status as StepRecord['status'],
  startedAt: opt(r.started_at),
  finishedAt: opt(r.finished_at),
  exitCode: optNum(r.exit_code),
  reason: opt(r.reason),
  attempts: Number(r.attempts),
});

export const rowToArtifact = (r: Row): ArtifactRecord => ({
  digest: String(r.digest),
  commit: String(r.commit_sha),
  runId: opt(r.run_id),
  buildKey: String(r.build_key),
  size: Number(r.size),
  files: Number(r.files),
  createdAt: String(r.created_at),
});

export const rowToEvent = (r: Row): StoredEvent => ({
  seq: Number(r.seq),
  at: String(r.at),
  kind: String(r.kind),
  actor: String(r.actor),
  subject: String(r.subject),
  data: JSON.parse(String(r.data)) as Record<string, unknown>,
  prevHash: String(r.prev_hash),
  hash: String(r.hash),
});
