// The merge queue's store port: items and batches, durable at every transition so that the queue
// survives a restart of the control plane. The SQLite adapter is adapters/store/sqlite/queue.ts.
import type { ItemState, MainMark, MainMove, QueueBatch, QueueItem } from '../core/queue/types.js';

export type NewQueueItem = Pick<QueueItem, 'source' | 'branch' | 'sha' | 'subject' | 'author' | 'actor'>;

export type ItemPatch = Partial<Pick<QueueItem, 'state' | 'chunk' | 'batchId' | 'runIds' | 'mergedAs' | 'digest' | 'report' | 'retries' | 'finishedAt'>> & {
  /** Clears the bisection chunk (a plain `chunk: undefined` leaves it as it is). */
  clearChunk?: boolean;
};

export type BatchPatch = Partial<Pick<QueueBatch, 'state' | 'runId' | 'reason' | 'deployed' | 'finishedAt'>>;

export interface QueueStore {
  /** Numbers the item (q1, q2, …) and stores it as `queued`; durable when it returns. */
  createItem(item: NewQueueItem, at: string): Promise<QueueItem>;
  getItem(id: string): Promise<QueueItem | undefined>;
  updateItem(id: string, patch: ItemPatch, at: string): Promise<void>;
  /** Items in any of `states` (all when omitted), in queue order; the newest `limit` when given. */
  listItems(opts?: { states?: ItemState[]; limit?: number }): Promise<QueueItem[]>;

  createBatch(b: Omit<QueueBatch, 'id' | 'number' | 'deployed' | 'finishedAt' | 'runId' | 'reason'>): Promise<QueueBatch>;
  getBatch(id: string): Promise<QueueBatch | undefined>;
  updateBatch(id: string, patch: BatchPatch): Promise<void>;
  /** Batches in the given state, oldest first. */
  batchesIn(state: QueueBatch['state']): Promise<QueueBatch[]>;
  /** Batches that merged but whose deployment was not started yet. */
  undeployedMerged(): Promise<QueueBatch[]>;

  /** The main the queue last wrote, and the move that stopped it; undefined before the first write. */
  mainMark(): Promise<MainMark | undefined>;
  /** Records that the queue put `sha` on main (undefined: no main); clears any halt. Durable when it returns. */
  markMain(sha: string | undefined, at: string): Promise<void>;
  /** Records a move of main the queue did not make (the queue stops until it is resolved). */
  haltOn(move: MainMove): Promise<void>;

  close(): void;
}
