// The append-only event log is hash-chained: each event's hash covers its content and the hash
// of the event before it, so any edit, deletion or reordering of stored events is detectable.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

export interface EventInput {
  kind: string;
  actor: string;
  subject: string;
  data: Record<string, unknown>;
}

export interface StoredEvent extends EventInput {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * An event's data as the store keeps it (JSON text read back): what is hashed is what is stored,
 * so a value JSON changes on the way (a Date, NaN) verifies the same after a restart.
 */
const asStored = (data: Record<string, unknown>): unknown => JSON.parse(JSON.stringify(data)) as unknown;

export const hashEvent = (e: Omit<StoredEvent, 'hash'>): string =>
  createHash('sha256')
    .update(canonicalJson({ seq: e.seq, at: e.at, kind: e.kind, actor: e.actor, subject: e.subject, data: asStored(e.data), prev: e.prevHash }))
    .digest('hex');

export type ChainVerdict =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; seq: number; message: string };

/** Checks a sequence of stored events, oldest first, against their chain. */
export const verifyChain = (events: Iterable<StoredEvent>): ChainVerdict => {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (const e of events) {
    if (e.seq !== expectedSeq) return { ok: false, count, seq: e.seq, message: `event ${expectedSeq} is missing (found ${e.seq} next)` };
    if (e.prevHash !== prev) return { ok: false, count, seq: e.seq, message: `event ${e.seq} does not follow event ${e.seq - 1}: its previous hash does not match` };
    const hash = hashEvent(e);
    if (hash !== e.hash) return { ok: false, count, seq: e.seq, message: `event ${e.seq} was altered: its content does not match its hash` };
    prev = hash;
    expectedSeq++;
    count++;
  }
  return { ok: true, count, head: prev };
};
