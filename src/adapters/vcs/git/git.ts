// The git adapter of the VCS port. Checkouts are `git worktree`s: they share the object store, so
// a checkout of a commit costs the files it writes and nothing more.
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Checkout, CommitInfo, Vcs } from '../../../ports/vcs.js';
import * as cmd from './commands.js';

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const git = (cwd: string, args: string[]): Promise<GitResult> =>
  new Promise((resolve) => {
    execFile('git', [...cmd.LOCAL_ONLY, ...args], { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });

const gitOk = async (cwd: string, args: string[]): Promise<string> => {
  const r = await git(cwd, args);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
};

/** Paths Slipway itself writes inside a repository; never reported as uncommitted changes. */
const OWN_PATHS = ['.slipway/'];

export const createGitVcs = (): Vcs => ({
  async root(dir) {
    const r = await git(dir, cmd.revParseTopLevel());
    return r.code === 0 ? r.stdout.trim() : undefined;
  },

  async resolve(repo, ref) {
    const r = await git(repo, cmd.showCommit(ref));
    if (r.code !== 0) return undefined;
    const [sha, time, author, subject] = r.stdout.trimEnd().split('\0');
    if (!sha || !time) return undefined;
    return { sha, time: Number(time), author: author ?? '', subject: subject ?? '' } satisfies CommitInfo;
  },

  async dirtyPaths(repo) {
    const out = await gitOk(repo, cmd.statusPorcelain());
    return out
      .split('\0')
      .filter((e) => e.length > 3)
      .map((e) => e.slice(3))
      .filter((p) => !OWN_PATHS.some((own) => p.startsWith(own)));
  },

  async listFiles(repo) {
    const out = await gitOk(repo, cmd.listFiles());
    return [...new Set(out.split('\0').filter((p) => p !== ''))].filter((p) => !OWN_PATHS.some((own) => p.startsWith(own)));
  },

  async checkout(repo, commit, parent): Promise<Checkout> {
    await mkdir(parent, { recursive: true });
    const dir = join(parent, `${commit.sha.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    await gitOk(repo, cmd.worktreeAdd(dir, commit.sha));
    let disposed = false;
    return {
      dir,
      commit,
      async dispose() {
        if (disposed) return;
        disposed = true;
        const r = await git(repo, cmd.worktreeRemove(dir));
        if (r.code !== 0) {
          await rm(dir, { recursive: true, force: true });
          await git(repo, cmd.worktreePrune());
        }
      },
    };
  },

  async readFile(repo, sha, path) {
    const r = await git(repo, cmd.catFile(sha, path));
    return r.code === 0 ? r.stdout : undefined;
  },

  async fileSize(repo, sha, path) {
    const r = await git(repo, cmd.catFileSize(sha, path));
    const n = Number(r.stdout.trim());
    return r.code === 0 && Number.isSafeInteger(n) ? n : undefined;
  },

  async firstCommitTime(repo, commit, since) {
    // Only full shas: a ref name here would be a way to ask about anything else.
    if (!SHA.test(commit) || !SHA.test(since)) return undefined;
    const r = await git(repo, cmd.authorTimesBetween(since, commit));
    if (r.code !== 0) return undefined;
    const times = r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    return times.length === 0 ? undefined : times.reduce((a, b) => Math.min(a, b)) * 1000;
  },
});

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
