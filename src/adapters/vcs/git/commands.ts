// git invocations as argument arrays, built by pure functions (run without a shell by git.ts).

export const revParseTopLevel = (): string[] => ['rev-parse', '--show-toplevel'];
/** `%x00`-separated: sha, committer time, author name, subject. */
export const showCommit = (ref: string): string[] => ['show', '-s', '--format=%H%x00%ct%x00%an%x00%s', `${ref}^{commit}`, '--'];
export const statusPorcelain = (): string[] => ['status', '--porcelain=v1', '-z', '--untracked-files=all'];
export const worktreeAdd = (dir: string, sha: string): string[] => ['worktree', 'add', '--detach', '--quiet', dir, sha];
export const worktreeRemove = (dir: string): string[] => ['worktree', 'remove', '--force', dir];
export const worktreePrune = (): string[] => ['worktree', 'prune'];
export const catFile = (sha: string, path: string): string[] => ['cat-file', 'blob', `${sha}:${path}`];
