// The canonical repository of an app (`<home>/repo.git`): created on first use as a bare copy of
// the working repository's main, guarded by receive hooks, and changed only by the merge queue
// through merge commits and compare-and-swap updates of main.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../../fs/files.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as cmd from './canonical-commands.js';
import { gitOk, runGit } from './run.js';

export const canonicalPath = (home: string): string => join(home, 'repo.git');

export interface HookCommand {
  /** The node binary and Slipway's bin/slipway.js that the hooks run. */
  node: string;
  bin: string;
}

/**
 * The canonical repository, created when missing: a bare repository whose main is the working
 * repository's main (or none, when it has no main yet), with the receive hooks installed. Made
 * in a temporary directory and renamed into place, so a half-made repository is never seen.
 * Existing ones get their configuration and hooks rewritten (the paths they name may move).
 */
export const ensureCanonical = async (opts: { home: string; workRepo: string; hooks: HookCommand }): Promise<{ path: string; created: boolean; main?: string }> => {
  const path = canonicalPath(opts.home);
  let created = false;
  if (!existsSync(join(path, 'HEAD'))) {
    await mkdir(opts.home, { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    await gitOk(cmd.initBare(tmp));
    const hasMain = (await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', 'refs/heads/main^{commit}'], { cwd: opts.workRepo })).code === 0;
    if (hasMain) await gitOk(cmd.fetchRef(tmp, opts.workRepo, 'refs/heads/main', 'refs/heads/main'));
    try {
      await rename(tmp, path);
      created = true;
    } catch (e) {
      // Another process made it first: use theirs.
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(join(path, 'HEAD'))) throw e;
    }
  }
  await configure(path, opts);
  return { path, created, main: await readRef(path, 'refs/heads/main') };
};

const configure = async (path: string, opts: { home: string; workRepo: string; hooks: HookCommand }): Promise<void> => {
  const hooksDir = join(path, 'hooks');
  // Explicit, so that a user's global core.hooksPath cannot switch the guard off.
  await gitOk(cmd.setConfig(path, 'core.hooksPath', hooksDir));
  // Queue refs are Slipway's: not advertised to clones, and receive-pack refuses pushes to them.
  await gitOk(cmd.setConfig(path, 'transfer.hideRefs', 'refs/slipway'));
  await gitOk(cmd.setConfig(path, 'receive.denyDeleteCurrent', 'refuse'));
  await mkdir(hooksDir, { recursive: true });
  for (const name of ['pre-receive', 'post-receive'] as const) {
    const file = join(hooksDir, name);
    writeFileAtomic(file, cmd.hookScript(name, { ...opts.hooks, home: opts.home, repo: opts.workRepo }), 0o755);
  }
};

/** The commit a ref points at, or undefined when it does not exist. */
export const readRef = async (gitDir: string, ref: string): Promise<string | undefined> => {
  const r = await runGit(cmd.revParseCommit(gitDir, ref));
  return r.code === 0 ? r.stdout.trim() : undefined;
};

export type MergeResult = { ok: true; commit: string } | { ok: false; files: string[]; unrelated: boolean };

/**
 * Merges `item` onto `tip` without a work tree: a merge commit authored by the item's author and
 * committed by the queue, dated at the later of the two parents' commit times, so the same two
 * commits always give the same merge commit. On a conflict, the conflicted paths.
 */
export const mergeOnto = async (gitDir: string, tip: string, item: string, message: string): Promise<MergeResult> => {
  const r = await runGit(cmd.mergeTree(gitDir, tip, item));
  if (r.code === 0 || r.code === 1) {
    const parsed = cmd.parseMergeTree(r.stdout);
    if (!parsed) throw new Error(`git merge-tree gave output Slipway cannot read: ${r.stdout.slice(0, 200)}`);
    if (r.code === 1) return { ok: false, files: parsed.files, unrelated: false };
    const stamps = (await gitOk(cmd.commitStamps(gitDir, [tip, item]))).split('\n').filter(Boolean).map((l) => l.split('\0'));
    const when = Math.max(...stamps.map((f) => Number(f[0])));
    const author = { name: stamps[1]?.[1] ?? '', email: stamps[1]?.[2] ?? '' };
    const commit = (await gitOk(cmd.commitTree(gitDir, parsed.tree, [tip, item], message), { env: cmd.mergeEnv(when, author) })).trim();
    return { ok: true, commit };
  }
  if (/unrelated histories/i.test(r.stderr)) return { ok: false, files: [], unrelated: true };
  throw new Error(`git merge-tree ${tip} ${item} failed (${r.code}): ${r.stderr.trim()}`);
};

/** Compare-and-swap of a ref; on a lost race, what the ref holds now. */
export const casRef = async (gitDir: string, ref: string, value: string, expected: string | undefined, reason: string): Promise<{ ok: true } | { ok: false; current: string | undefined; message: string }> => {
  const r = await runGit(cmd.updateRefCas(gitDir, ref, value, expected ?? cmd.ZERO_SHA, reason));
  if (r.code === 0) return { ok: true };
  return { ok: false, current: await readRef(gitDir, ref), message: r.stderr.trim() };
};

export const setRef = async (gitDir: string, ref: string, value: string, reason: string): Promise<void> => {
  await gitOk(cmd.setRefTo(gitDir, ref, value, reason));
};

/** Deletes a ref if it still holds `expected`; false when it moved or is gone. */
export const deleteRefIf = async (gitDir: string, ref: string, expected: string): Promise<boolean> => (await runGit(cmd.deleteRef(gitDir, ref, expected))).code === 0;

export const fetchRefInto = async (gitDir: string, from: string, src: string, dst: string): Promise<{ ok: true } | { ok: false; message: string }> => {
  const r = await runGit(cmd.fetchRef(gitDir, from, src, dst));
  return r.code === 0 ? { ok: true } : { ok: false, message: r.stderr.trim() || `git fetch exited with ${r.code}` };
};

/** How long a fetch from a webhook's remote may take before it is given up. */
export const REMOTE_FETCH_TIMEOUT_MS = 120_000;

/** Fetches `src` of a remote (https, ssh or a path) into `dst`, without prompts and within REMOTE_FETCH_TIMEOUT_MS. */
export const fetchRemoteInto = async (gitDir: string, url: string, src: string, dst: string): Promise<{ ok: true } | { ok: false; message: string }> => {
  const r = await runGit(cmd.fetchRemoteRef(gitDir, url, src, dst), { env: { GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' }, timeout: REMOTE_FETCH_TIMEOUT_MS });
  return r.code === 0 ? { ok: true } : { ok: false, message: r.stderr.trim() || `git fetch exited with ${r.code}` };
};

export const isAncestor = async (gitDir: string, ancestor: string, descendant: string): Promise<boolean> => (await runGit(cmd.isAncestor(gitDir, ancestor, descendant))).code === 0;

/** Records the canonical main in a working repository as `refs/remotes/slipway/main`. */
export const publishMainTo = async (canonical: string, workRepo: string): Promise<{ ok: true } | { ok: false; message: string }> => {
  const r = await runGit(cmd.fetchMainInto(canonical), { cwd: workRepo });
  return r.code === 0 ? { ok: true } : { ok: false, message: r.stderr.trim() };
};
