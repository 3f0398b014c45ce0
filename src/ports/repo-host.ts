// The repository-host port: the app's canonical repository, the one the merge queue owns. Made on
// first use from the working repository's main, guarded against pushes that bypass the queue,
// and changed only through merge commits and compare-and-swap updates of its refs. The git
// adapter (adapters/vcs/git/repo-host.ts) is the only implementation today.

export type MergeResult = { ok: true; commit: string } | { ok: false; files: string[]; unrelated: boolean };

export type RefUpdate = { ok: true } | { ok: false; current: string | undefined; message: string };

export type Transfer = { ok: true } | { ok: false; message: string };

export interface RepoHost {
  /** Where the repository is (or will be made); the Vcs port reads its commits from this path. */
  readonly path: string;
  /** Whether it has been made yet. */
  exists(): boolean;
  /** Makes it when missing (its guards rewritten either way); idempotent and safe to race. */
  ensure(): Promise<{ created: boolean; main?: string }>;
  /** The commit a ref points at, or undefined when it does not exist. */
  readRef(ref: string): Promise<string | undefined>;
  setRef(ref: string, value: string, reason: string): Promise<void>;
  /** Moves `ref` to `value` only if it still holds `expected` (undefined: only if it does not exist). */
  casRef(ref: string, value: string, expected: string | undefined, reason: string): Promise<RefUpdate>;
  /** Deletes a ref if it still holds `expected`; false when it moved or is gone. */
  deleteRefIf(ref: string, expected: string): Promise<boolean>;
  /** Copies `src` of another repository on this machine into `dst` here. */
  fetchFrom(repo: string, src: string, dst: string): Promise<Transfer>;
  /**
   * Copies `src` of a remote repository (https, ssh or a path, already checked) into `dst` here,
   * with no prompt and a time limit; a failure says why in git's words.
   */
  fetchRemote(url: string, src: string, dst: string): Promise<Transfer>;
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** The merge commit of `item` onto `tip` (the same two commits always give the same one), or the conflicted paths. */
  mergeOnto(tip: string, item: string, message: string): Promise<MergeResult>;
  /** Records this repository's main in a working repository (as `slipway/main`). */
  publishMainTo(workRepo: string): Promise<Transfer>;
}
