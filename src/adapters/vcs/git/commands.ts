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
export const worktreeAdd = (dir: string, sha: string): string[] => ['worktree', 'add', '--detach', '--quiet', '--end-of-options', dir, sha];
export const worktreeRemove = (dir: string): string[] => ['worktree', 'remove', '--force', '--end-of-options', dir];
export const worktreePrune = (): string[] => ['worktree', 'prune'];
/** Tracked files, then untracked ones that no ignore rule covers; NUL-separated. */
export const listFiles = (): string[] => ['ls-files', '-z', '--cached', '--others', '--exclude-standard'];
export const catFile = (sha: string, path: string): string[] => ['cat-file', 'blob', '--end-of-options', `${sha}:${path}`];
/** Author times (seconds) of the commits of `commit` not in `since`, one a line; the two must be shas. */
export const authorTimesBetween = (since: string, commit: string): string[] => ['log', '--format=%at', '--end-of-options', commit, `^${since}`, '--'];
export const catFileSize = (sha: string, path: string): string[] => ['cat-file', '-s', '--end-of-options', `${sha}:${path}`];
