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
import type { LogFile } from '../core/retention/logs.js';

export type { DiskItem } from '../core/retention/plan.js';
export type { LogFile } from '../core/retention/logs.js';

export interface RetentionDisk {
  scan(): Promise<DiskItem[]>;
  remove(item: DiskItem): Promise<number>;
}

/**
 * The log side of retention. Contract:
 * - `scan` lists every log file of the home (instance logs, the control plane's and the proxy's),
 *   with their rotations; never step output (in the store) or anything else.
 * - `rotate` rotates one file being written (its writer keeps writing, at the start of a new file).
 * - `remove` removes one scanned file and answers the bytes it freed; a file already gone frees 0.
 */
export interface LogDisk {
  scan(): Promise<LogFile[]>;
  rotate(file: LogFile): Promise<void>;
  remove(file: LogFile): Promise<number>;
  /** The last `lines` lines of the log `path` (a file being written), read across its rotations, oldest first. */
  tail(path: string, lines: number): Promise<string[]>;
}
