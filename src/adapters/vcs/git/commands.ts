// git invocations as argument arrays, built by pure functions (run without a shell by git.ts).
// Every value that comes from outside (a ref, a path, a repository) follows `--end-of-options`, so
// that `--output=…` or `--upload-pack=…` is never read as an option (refs starting with "-" are
// also refused where they come in, core/refs.ts).

/**
 * Put before every git command Slipway runs: only local repositories are reached (the `file`
 * transport), never `ext::`, ssh or http, whatever a path or the user's configuration says.
 */
export const LOCAL_ONLY: readonly string[] = ['-c', 'protocol.allow=never', '-c', 'protocol.file.allow=always'];

export const revParseTopLevel = (): string[] => ['rev-parse', '--show-toplevel'];
/** `%x00`-separated: sha, committer time, author name, subject. */
export const showCommit = (ref: string): string[] => ['show', '-s', '--format=%H%x00%ct%x00%an%x00%s', '--end-of-options', `${ref}^{commit}`, '--'];
export const statusPorcelain = (): string[] => ['status', '--porcelain=v1', '-z', '--untracked-files=all'];
/**
 * Writes the files of `sha`'s tree into `dir` through a throw-away index (GIT_INDEX_FILE): one git
 * process, no `.git` in the tree, nothing recorded in the repository and no hook run (a `git
 * worktree add` costs about eight times the CPU here, most of it in the checkout it spawns).
 */
export const checkoutTree = (dir: string, sha: string): string[] => ['--work-tree', dir, 'read-tree', '--reset', '-u', '--end-of-options', sha];
/** Tracked files, then untracked ones that no ignore rule covers; NUL-separated. */
export const listFiles = (): string[] => ['ls-files', '-z', '--cached', '--others', '--exclude-standard'];
export const catFile = (sha: string, path: string): string[] => ['cat-file', 'blob', '--end-of-options', `${sha}:${path}`];
/** Author times (seconds) of the commits of `commit` not in `since`, one a line; the two must be shas. */
export const authorTimesBetween = (since: string, commit: string): string[] => ['log', '--format=%at', '--end-of-options', commit, `^${since}`, '--'];
export const catFileSize = (sha: string, path: string): string[] => ['cat-file', '-s', '--end-of-options', `${sha}:${path}`];
/** Exits 0 when `sha` is `ref` or an ancestor of it. */
export const isAncestor = (sha: string, ref: string): string[] => ['merge-base', '--is-ancestor', '--end-of-options', sha, ref];
