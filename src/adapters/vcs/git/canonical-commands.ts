// git invocations of the canonical repository and the merge queue, as argument arrays built by
// pure functions (run without a shell by canonical.ts). Every one names the repository explicitly
// and puts `--end-of-options` before its positionals (commands.ts says why).

/** The committer of the queue's merge commits. */
export const MERGE_IDENTITY = { name: 'Slipway merge queue', email: 'queue@slipway.invalid' };

export const initBare = (dir: string): string[] => ['init', '--quiet', '--bare', '--initial-branch=main', '--end-of-options', dir];
export const setConfig = (gitDir: string, key: string, value: string): string[] => ['--git-dir', gitDir, 'config', '--end-of-options', key, value];
export const revParseCommit = (gitDir: string, ref: string): string[] => ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`];
/** Committer time (seconds), author name and e-mail of the given commits, NUL-separated, one commit per line. */
export const commitStamps = (gitDir: string, shas: string[]): string[] => ['--git-dir', gitDir, 'show', '-s', '--format=%ct%x00%an%x00%ae', '--end-of-options', ...shas, '--'];
export const mergeTree = (gitDir: string, ours: string, theirs: string): string[] => ['--git-dir', gitDir, 'merge-tree', '--write-tree', '--name-only', '--no-messages', '--end-of-options', ours, theirs];
export const commitTree = (gitDir: string, tree: string, parents: string[], message: string): string[] => [
  '--git-dir',
  gitDir,
  'commit-tree',
  '--no-gpg-sign',
  // Options first: after --end-of-options, `-p` and `-m` would be read as trees.
  ...parents.flatMap((p) => ['-p', p]),
  '-m',
  message,
  '--end-of-options',
  tree,
];
/**
 * A compare-and-swap of a ref: git refuses unless the ref still holds `expected` (the all-zero id
 * means "must not exist yet").
 */
export const updateRefCas = (gitDir: string, ref: string, value: string, expected: string, reason: string): string[] => ['--git-dir', gitDir, 'update-ref', '-m', reason, '--end-of-options', ref, value, expected];
export const setRefTo = (gitDir: string, ref: string, value: string, reason: string): string[] => ['--git-dir', gitDir, 'update-ref', '-m', reason, '--end-of-options', ref, value];
export const deleteRef = (gitDir: string, ref: string, expected: string): string[] => ['--git-dir', gitDir, 'update-ref', '-d', '--end-of-options', ref, expected];
/** Copies `src` of another repository into `dst` of this one (a fetch runs no receive hook). */
export const fetchRef = (gitDir: string, from: string, src: string, dst: string): string[] => ['--git-dir', gitDir, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--end-of-options', from, `+${src}:${dst}`];
/**
 * Copies `src` of a remote repository (an app's webhook remote) into `dst`: after LOCAL_ONLY,
 * https and ssh are allowed again for this one command (the URL was checked by
 * core/webhooks/remote.ts); no tags, no submodules, no FETCH_HEAD.
 */
export const fetchRemoteRef = (gitDir: string, url: string, src: string, dst: string): string[] => [
  '-c',
  'protocol.https.allow=always',
  '-c',
  'protocol.ssh.allow=always',
  '--git-dir',
  gitDir,
  'fetch',
  '--quiet',
  '--no-tags',
  '--no-write-fetch-head',
  '--no-recurse-submodules',
  '--end-of-options',
  url,
  `+${src}:${dst}`,
];
/** Whether `ancestor` is an ancestor of (or equal to) `descendant`: exit 0 yes, 1 no. */
export const isAncestor = (gitDir: string, ancestor: string, descendant: string): string[] => ['--git-dir', gitDir, 'merge-base', '--is-ancestor', '--end-of-options', ancestor, descendant];
/** Fetches the canonical main into a working repository as its remote-tracking ref `slipway/main`. */
export const fetchMainInto = (canonical: string): string[] => ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--end-of-options', canonical, '+refs/heads/main:refs/remotes/slipway/main'];

export const ZERO_SHA = '0000000000000000000000000000000000000000';

/**
 * The environment of a merge commit: authored by the change's author (history shows who made
 * it), committed by the queue, both at a fixed time, so the same merge always gives the same commit.
 */
export const mergeEnv = (epochSeconds: number, author: { name: string; email: string } = MERGE_IDENTITY): Record<string, string> => {
  const date = `@${epochSeconds} +0000`;
  return {
    GIT_AUTHOR_NAME: author.name || MERGE_IDENTITY.name,
    GIT_AUTHOR_EMAIL: author.email || MERGE_IDENTITY.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: MERGE_IDENTITY.name,
    GIT_COMMITTER_EMAIL: MERGE_IDENTITY.email,
    GIT_COMMITTER_DATE: date,
  };
};

/**
 * Parses `git merge-tree --write-tree --name-only --no-messages` output: the tree id, then (on a
 * conflict) one conflicted path per line.
 */
export const parseMergeTree = (stdout: string): { tree: string; files: string[] } | undefined => {
  const lines = stdout.split('\n');
  const tree = lines[0]?.trim() ?? '';
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(tree)) return undefined;
  const files: string[] = [];
  for (const l of lines.slice(1)) {
    if (l === '') break;
    if (!files.includes(l)) files.push(l);
  }
  return { tree, files };
};

/** Single-quotes a string for a POSIX shell script (the hook scripts name paths with spaces). */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The text of a hook script of the canonical repository: it hands over to `slipway hook NAME`. */
export const hookScript = (name: 'pre-receive' | 'post-receive', opts: { node: string; bin: string; home: string; repo: string }): string =>
  [
    '#!/bin/sh',
    `# Installed by Slipway (docs/merge-queue.md): ${name === 'pre-receive' ? 'refuses direct updates of main' : 'queues what was pushed to refs/for/main'}.`,
    '# Rewritten each time the control plane starts; edits here are lost.',
    `exec ${[opts.node, opts.bin, 'hook', name, '--home', opts.home, '--repo', opts.repo].map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
