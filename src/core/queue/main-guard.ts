// Whether the canonical main is where the merge queue left it. Only the queue moves main; a move
// it did not make (a step or a person with write access to the repository running `git update-ref`,
// a push that went around the hooks) stops the queue until someone looks. Pure: the engine reads
// the ref, the record and the batches under test, and applies the verdict.
import type { MainMove } from './types.js';

export type MainVerdict =
  /** main is what the queue last wrote. */
  | { kind: 'same' }
  /** No record yet (the first start with this check): what main holds now is taken as the queue's. */
  | { kind: 'adopt'; sha: string | undefined }
  /** main is the commit of a batch the queue moved it to, whose record a crash lost. */
  | { kind: 'ours'; sha: string }
  | { kind: 'moved'; move: MainMove };

const short = (sha: string | undefined): string => sha?.slice(0, 12) ?? '(none)';

/**
 * Judges the canonical main. `recorded` is undefined when the queue has no record yet, and
 * `{ sha: undefined }` when it recorded "no main". A batch under test whose base is the recorded
 * main and whose tip is main now was merged by the queue just before a crash: that is its own move.
 */
export const judgeMain = (recorded: { sha?: string } | undefined, current: string | undefined, testing: readonly { base?: string; tip: string }[], at: string): MainVerdict => {
  if (recorded === undefined) return { kind: 'adopt', sha: current };
  if (recorded.sha === current) return { kind: 'same' };
  if (current !== undefined && testing.some((b) => b.tip === current && b.base === recorded.sha)) return { kind: 'ours', sha: current };
  const message = [
    `main moved from ${short(recorded.sha)} to ${short(current)}, and not by the merge queue (who or what moved it is unknown to Slipway).`,
    'The queue is stopped: no batch is tested or merged until main is resolved. Either put main back:',
    `    git --git-dir <home>/repo.git update-ref refs/heads/main ${recorded.sha ?? '<commit>'}`,
    'and the queue resumes by itself, or accept the new main after checking it:',
    `    slipway queue accept-main ${current ?? '<commit>'}`,
  ].join('\n');
  return { kind: 'moved', move: { expected: recorded.sha, found: current, detectedAt: at, by: 'unknown', message } };
};
