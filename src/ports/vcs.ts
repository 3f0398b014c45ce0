// The version-control port: resolve refs to commits and produce clean checkouts of exact commits.
// The git adapter (adapters/vcs/git) is the only implementation today.

export interface CommitInfo {
  sha: string;
  /** Commit time, seconds since the epoch (used as SOURCE_DATE_EPOCH). */
  time: number;
  author: string;
  subject: string;
}

export interface Checkout {
  dir: string;
  commit: CommitInfo;
  /** Removes the checkout; idempotent. */
  dispose(): Promise<void>;
}

export interface Vcs {
  /** The repository's top-level directory, or undefined when `dir` is not inside a repository. */
  root(dir: string): Promise<string | undefined>;
  /** Resolves a ref (branch, tag, sha, HEAD~1) to a commit; undefined when it does not exist. */
  resolve(repo: string, ref: string): Promise<CommitInfo | undefined>;
  /** Paths with uncommitted changes (tracked or untracked, not ignored). */
  dirtyPaths(repo: string): Promise<string[]>;
  /** Files of the work tree that git tracks or would track (not ignored), repository-relative. */
  listFiles(repo: string): Promise<string[]>;
  /** A clean checkout of exactly `commit` in a new directory under `parent`. */
  checkout(repo: string, commit: CommitInfo, parent: string): Promise<Checkout>;
  /** The content of a file at a commit, or undefined when the commit has no such file. */
  readFile(repo: string, sha: string, path: string): Promise<string | undefined>;
  /** The size in bytes of a file at a commit, without reading it; undefined when there is no such file. */
  fileSize(repo: string, sha: string, path: string): Promise<number | undefined>;
  /**
   * The author time (ms) of the oldest commit reachable from `commit` and not from `since`: when
   * the change that `commit` brings after `since` was begun (DORA lead time). Undefined when either
   * commit is unknown to the repository or there is no such commit.
   */
  firstCommitTime(repo: string, commit: string, since: string): Promise<number | undefined>;
  /**
   * Resolves a ref and reads a file of that exact commit, with its size, in one read: the file's
   * text only when it is at most `maxBytes` (a larger one is never read into memory); `file`
   * undefined when the commit has no such file; undefined when the ref names no commit.
   */
  readFileAtRef(repo: string, ref: string, path: string, maxBytes: number): Promise<{ commit: CommitInfo; file?: { size: number; text?: string } } | undefined>;
  /** Whether `sha` (a full sha) is the tip of `branch` or one of its ancestors; false when either is unknown. */
  onBranch(repo: string, sha: string, branch: string): Promise<boolean>;
}
