// What the merge queue's steps share: the engine, the queue's store, the canonical repository.
import type { QueueBatch } from '../../core/queue/types.js';
import type { RunRecord } from '../../core/run.js';
import type { QueueStore } from '../../ports/queue.js';
import type { Engine } from '../engine.js';

export interface QueueDeps {
  engine: Engine;
  store: QueueStore;
  /** Path of the canonical (bare) repository. */
  canonical: string;
  log: (line: string) => void;
  now: () => string;
  /** Appends an event to the audit trail. */
  event: (kind: string, subject: string, data: Record<string, unknown>) => Promise<void>;
  /** True once the control plane is stopping: no new run is started. */
  stopping: () => boolean;
  /** Records, durably, that the queue itself put `sha` on main (before anything else happens). */
  markMain: (sha: string) => Promise<void>;
  /** Records a batch whose commit became main, and releases it. */
  merged: (batch: QueueBatch, run: RunRecord) => Promise<void>;
}
