// The merge queue's domain model: items (one change each), batches (items tested together as one
// merged tree) and the reports that say why an item was sent back. Closed sets of states.

export type ItemState = 'queued' | 'testing' | 'merged' | 'refused' | 'conflict' | 'canceled';
export type BatchState = 'testing' | 'merged' | 'failed' | 'stale' | 'interrupted';

/** An item that reached a final state never moves again. */
export const isItemFinal = (s: ItemState): boolean => s === 'merged' || s === 'refused' || s === 'conflict' || s === 'canceled';

export interface QueueItem {
  /** `q1`, `q2`, …: numbered in arrival order, which is also the queue's order. */
  id: string;
  number: number;
  /** How it arrived: `slipway merge BRANCH`, or a push to refs/for/main. */
  source: 'merge' | 'push';
  /** The branch name (merge) or the pushed ref (push). */
  branch: string;
  /** The change's commit, kept in the canonical repository under `refs/slipway/queue/<id>`. */
  sha: string;
  subject: string;
  author: string;
  actor: string;
  state: ItemState;
  /** Bisection group: while set, the item is tested only with the items of the same chunk. */
  chunk?: string;
  /** The batch it is (or was last) tested in. */
  batchId?: string;
  /** Every run that tested it, oldest first. */
  runIds: string[];
  /** `main` after it merged: the exact commit that was tested. */
  mergedAs?: string;
  /** The artifact of the run that gated that commit (what is released). */
  digest?: string;
  report?: QueueReport;
  /** Steps that needed more than one attempt in the runs that tested it. */
  retries: StepRetry[];
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface QueueBatch {
  id: string;
  number: number;
  /** Item ids in queue order (the ones in the merged tree; deferred and conflicting ones are not). */
  items: string[];
  /** `main` the merge was built on; undefined when the canonical repository had no main yet. */
  base?: string;
  /** The merged commit under test: main + each item, one merge commit per item. */
  tip: string;
  runId?: string;
  state: BatchState;
  reason?: string;
  /** Whether continuous deployment was started for it (after it merged). */
  deployed: boolean;
  createdAt: string;
  finishedAt?: string;
}

export interface StepRetry {
  runId: string;
  step: string;
  attempts: number;
  /** What the failed attempts did ("exited with code 1"). */
  previous: string[];
  /** The step's final status after its retries. */
  status: string;
}

/** Why an item was sent back (or, for a merged one, absent). */
export type QueueReport =
  | {
      kind: 'gate';
      /** The failing step of the pipeline and what kind of gate it is. */
      step: string;
      gateKind: string;
      reason: string;
      runId: string;
      /** The command that shows the whole log. */
      logs: string;
      /** The last lines the step printed (masked), e.g. the findings of a scan. */
      output: string[];
      message: string;
    }
  | { kind: 'conflict'; files: string[]; base: string; message: string }
  | { kind: 'error'; message: string; runId?: string };

/** What the queue last put on the canonical main, and a move of main it did not make. */
export interface MainMark {
  /** The commit; undefined when there is no main yet. */
  sha?: string;
  writtenAt: string;
  /** Set when main was found elsewhere: the queue takes no batch until it is resolved. */
  halt?: MainMove;
}

/** main found at a commit the queue did not write: who did it is unknown to Slipway. */
export interface MainMove {
  /** The commit the queue last wrote (undefined: no main). */
  expected?: string;
  /** The commit main holds now (undefined: main was deleted). */
  found?: string;
  detectedAt: string;
  by: 'unknown';
  message: string;
}
