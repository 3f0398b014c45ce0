// The merge queue's pure planning: which items are tested together next, how a failed batch is
// bisected so that only the culprit goes back, and the batch cap's validation.
import type { ItemState } from './types.js';

/** The most items tested as one merged tree, unless configured otherwise (see parseBatchCap). */
export const DEFAULT_BATCH_CAP = 4;
export const MAX_BATCH_CAP = 32;

export interface PlannableItem {
  id: string;
  /** Arrival order: the queue's order. */
  number: number;
  state: ItemState;
  chunk?: string;
}

/**
 * The ids of the next batch: when the first queued item belongs to a bisection chunk, exactly
 * that chunk; otherwise up to `cap` queued items from the head, stopping before any chunked one
 * so that the queue's order is kept.
 */
export const nextBatch = (items: readonly PlannableItem[], cap: number): string[] => {
  const queued = items.filter((i) => i.state === 'queued').sort((a, b) => a.number - b.number);
  const head = queued[0];
  if (!head) return [];
  if (head.chunk !== undefined) return queued.filter((i) => i.chunk === head.chunk).map((i) => i.id);
  const out: string[] = [];
  for (const i of queued) {
    if (i.chunk !== undefined || out.length >= cap) break;
    out.push(i.id);
  }
  return out;
};

export type FailureDecision =
  | { kind: 'refuse'; id: string }
  | { kind: 'split'; chunks: { chunk: string; ids: string[] }[] };

/**
 * What a failed batch becomes: a single item is the culprit and is refused; a larger batch is
 * split in two halves (the first one the larger), each tested on its own in queue order. A half
 * that passes merges; a half that fails is split again, down to the culprit.
 */
export const onBatchFailure = (batchId: string, ids: readonly string[]): FailureDecision => {
  if (ids.length === 0) throw new Error(`batch ${batchId} has no items to bisect`);
  if (ids.length === 1) return { kind: 'refuse', id: ids[0] as string };
  const half = Math.ceil(ids.length / 2);
  return {
    kind: 'split',
    chunks: [
      { chunk: `${batchId}.1`, ids: ids.slice(0, half) },
      { chunk: `${batchId}.2`, ids: ids.slice(half) },
    ],
  };
};

/** Reads the batch cap (SLIPWAY_QUEUE_BATCH): a whole number from 1 to MAX_BATCH_CAP. */
export const parseBatchCap = (raw: string | undefined): { ok: true; cap: number } | { ok: false; message: string } => {
  if (raw === undefined || raw.trim() === '') return { ok: true, cap: DEFAULT_BATCH_CAP };
  const text = raw.trim();
  if (!/^\d+$/.test(text)) return { ok: false, message: `the batch cap must be a whole number from 1 to ${MAX_BATCH_CAP}, not "${raw}"` };
  const cap = Number(text);
  if (cap < 1 || cap > MAX_BATCH_CAP) return { ok: false, message: `the batch cap must be from 1 to ${MAX_BATCH_CAP}, not ${cap}` };
  return { ok: true, cap };
};

/** Accepts `q7`, `7` and `#7` for queue item 7; undefined for anything else. */
export const normaliseItemId = (raw: string): string | undefined => {
  const m = /^(?:#|q)?(\d+)$/i.exec(raw.trim());
  return m && Number(m[1]) > 0 ? `q${Number(m[1])}` : undefined;
};
