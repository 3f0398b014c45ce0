// The SQLite adapter of the merge queue's store (tables of migration 6), on a connection of its
// own. Every transition is fsynced: a queue item is never lost or merged twice across a crash.
import type Database from 'better-sqlite3';
import type { MainMove, QueueBatch, QueueItem, QueueReport, StepRetry } from '../../../core/queue/types.js';
import type { BatchPatch, ItemPatch, NewQueueItem, QueueStore } from '../../../ports/queue.js';
import { attempt, type Row } from './rows.js';
import { openDurableConnection } from './store.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

const rowToItem = (r: Row): QueueItem => ({
  id: String(r.id),
  number: Number(r.number),
  source: r.source === 'push' ? 'push' : 'merge',
  branch: String(r.branch),
  sha: String(r.sha),
  subject: String(r.subject),
  author: String(r.author),
  actor: String(r.actor),
  state: r.state as QueueItem['state'],
  chunk: str(r.chunk),
  batchId: str(r.batch_id),
  runIds: JSON.parse(String(r.run_ids)) as string[],
  mergedAs: str(r.merged_as),
  digest: str(r.digest),
  report: typeof r.report === 'string' ? (JSON.parse(r.report) as QueueReport) : undefined,
  retries: JSON.parse(String(r.retries)) as StepRetry[],
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
  finishedAt: str(r.finished_at),
});

const rowToBatch = (r: Row): QueueBatch => ({
  id: String(r.id),
  number: Number(r.number),
  items: JSON.parse(String(r.items)) as string[],
  base: str(r.base_sha),
  tip: String(r.tip_sha),
  runId: str(r.run_id),
  state: r.state as QueueBatch['state'],
  reason: str(r.reason),
  deployed: Number(r.deployed) === 1,
  createdAt: String(r.created_at),
  finishedAt: str(r.finished_at),
});

/** Opens (and migrates) the queue's tables of the store at `file`. */
export const openQueueStore = (file: string): QueueStore => {
  const db = openDurableConnection(file);
  return sqliteQueueStore(db);
};

/** The queue store over an open database that has migration 6. */
export const sqliteQueueStore = (db: Database.Database): QueueStore => {
  const getItem = (id: string): QueueItem | undefined => {
    const row = db.prepare('SELECT * FROM queue_items WHERE id = ?').get(id) as Row | undefined;
    return row && rowToItem(row);
  };
  const getBatch = (id: string): QueueBatch | undefined => {
    const row = db.prepare('SELECT * FROM queue_batches WHERE id = ?').get(id) as Row | undefined;
    return row && rowToBatch(row);
  };
  return {
    createItem(item: NewQueueItem, at: string) {
      const id = db.transaction(() => {
        const { n } = db.prepare('SELECT COALESCE(MAX(number), 0) + 1 AS n FROM queue_items').get() as { n: number };
        db.prepare(
          `INSERT INTO queue_items (id, number, source, branch, sha, subject, author, actor, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
        ).run(`q${n}`, n, item.source, item.branch, item.sha, item.subject, item.author, item.actor, at, at);
        return `q${n}`;
      })();
      const created = getItem(id);
      if (!created) throw new Error(`queue item ${id} disappeared after insert`);
      return Promise.resolve(created);
    },

    getItem: (id) => Promise.resolve(getItem(id)),

    updateItem: (id, patch: ItemPatch, at) => attempt(() => {
      const sets: string[] = ['updated_at = ?'];
      const values: unknown[] = [at];
      const put = (col: string, v: unknown): void => {
        sets.push(`${col} = ?`);
        values.push(v);
      };
      if (patch.state !== undefined) put('state', patch.state);
      if (patch.clearChunk) put('chunk', null);
      else if (patch.chunk !== undefined) put('chunk', patch.chunk);
      if (patch.batchId !== undefined) put('batch_id', patch.batchId);
      if (patch.runIds !== undefined) put('run_ids', JSON.stringify(patch.runIds));
      if (patch.mergedAs !== undefined) put('merged_as', patch.mergedAs);
      if (patch.digest !== undefined) put('digest', patch.digest);
      if (patch.report !== undefined) put('report', JSON.stringify(patch.report));
      if (patch.retries !== undefined) put('retries', JSON.stringify(patch.retries));
      if (patch.finishedAt !== undefined) put('finished_at', patch.finishedAt);
      values.push(id);
      const r = db.prepare(`UPDATE queue_items SET ${sets.join(', ')} WHERE id = ?`).run(...values);
      if (r.changes !== 1) throw new Error(`no queue item ${id} to update`);
    }),

    listItems(opts = {}) {
      const where = opts.states?.length ? `WHERE state IN (${opts.states.map(() => '?').join(', ')})` : '';
      const args: unknown[] = [...(opts.states ?? [])];
      let sql = `SELECT * FROM queue_items ${where} ORDER BY number`;
      if (opts.limit !== undefined) {
        sql = `SELECT * FROM (SELECT * FROM queue_items ${where} ORDER BY number DESC LIMIT ?) ORDER BY number`;
        args.push(opts.limit);
      }
      return Promise.resolve((db.prepare(sql).all(...args) as Row[]).map(rowToItem));
    },

    createBatch(b) {
      const id = db.transaction(() => {
        const { n } = db.prepare('SELECT COALESCE(MAX(number), 0) + 1 AS n FROM queue_batches').get() as { n: number };
        db.prepare('INSERT INTO queue_batches (id, number, items, base_sha, tip_sha, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
          `b${n}`,
          n,
          JSON.stringify(b.items),
          b.base ?? null,
          b.tip,
          b.state,
          b.createdAt,
        );
        return `b${n}`;
      })();
      const created = getBatch(id);
      if (!created) throw new Error(`queue batch ${id} disappeared after insert`);
      return Promise.resolve(created);
    },

    getBatch: (id) => Promise.resolve(getBatch(id)),

    updateBatch: (id, patch: BatchPatch) => attempt(() => {
      const sets: string[] = [];
      const values: unknown[] = [];
      const put = (col: string, v: unknown): void => {
        sets.push(`${col} = ?`);
        values.push(v);
      };
      if (patch.state !== undefined) put('state', patch.state);
      if (patch.runId !== undefined) put('run_id', patch.runId);
      if (patch.reason !== undefined) put('reason', patch.reason);
      if (patch.deployed !== undefined) put('deployed', patch.deployed ? 1 : 0);
      if (patch.finishedAt !== undefined) put('finished_at', patch.finishedAt);
      if (sets.length === 0) return;
      values.push(id);
      const r = db.prepare(`UPDATE queue_batches SET ${sets.join(', ')} WHERE id = ?`).run(...values);
      if (r.changes !== 1) throw new Error(`no queue batch ${id} to update`);
    }),

    batchesIn: (state) => Promise.resolve((db.prepare('SELECT * FROM queue_batches WHERE state = ? ORDER BY number').all(state) as Row[]).map(rowToBatch)),

    undeployedMerged: () => Promise.resolve((db.prepare("SELECT * FROM queue_batches WHERE state = 'merged' AND deployed = 0 ORDER BY number").all() as Row[]).map(rowToBatch)),

    mainMark: () =>
      attempt(() => {
        const r = db.prepare('SELECT sha, written_at, halt FROM queue_main WHERE id = 1').get() as Row | undefined;
        if (!r) return undefined;
        return { sha: str(r.sha), writtenAt: String(r.written_at), halt: typeof r.halt === 'string' ? (JSON.parse(r.halt) as MainMove) : undefined };
      }),

    markMain: (sha, at) =>
      attempt(() => {
        db.prepare('INSERT INTO queue_main (id, sha, written_at, halt) VALUES (1, ?, ?, NULL) ON CONFLICT (id) DO UPDATE SET sha = excluded.sha, written_at = excluded.written_at, halt = NULL').run(sha ?? null, at);
      }),

    haltOn: (move) =>
      attempt(() => {
        const r = db.prepare('UPDATE queue_main SET halt = ? WHERE id = 1').run(JSON.stringify(move));
        if (r.changes !== 1) throw new Error('the queue has no record of main to halt on');
      }),

    close: () => db.close(),
  };
};
