// The retention port: what is on disk that `slipway gc` may remove, and its removal. The plan of
// what goes is pure (core/retention/plan.ts); this is the only part that touches the files.
//
// Contract:
// - `scan` lists artifacts (with their manifest and provenance), unpacked release directories and
//   the work directories of runs and steps; never instance data, instance temporary directories,
//   the database, logs or keys.
// - `remove` removes one scanned item whole (an artifact's blob before its manifest, so that a
//   stored blob keeps having one) and answers the bytes it freed; an item already gone frees 0.
import type { DiskItem } from '../core/retention/plan.js';

export type { DiskItem } from '../core/retention/plan.js';

export interface RetentionDisk {
  scan(): Promise<DiskItem[]>;
  remove(item: DiskItem): Promise<number>;
}
