// The git adapter of the VCS port. A checkout is the commit's tree written into a new directory by
// one `git read-tree -u` through a throw-away index: it reads the repository's object store, so it
// costs the files it writes and nothing more, and leaves no trace in the repository.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Checkout, CommitInfo, Vcs } from '../../../ports/vcs.js';
import * as cmd from './commands.js';
import { gitOk, runGit } from './run.js';
import { readFileAtRef } from './batch.js';

/** Paths Slipway itself writes inside a repository; never reported as uncommitted changes. */
const OWN_PATHS = ['.slipway/'];

const resolve = async (repo: string, ref: string): Promise<CommitInfo | undefined> => {
  const r = await runGit(cmd.showCommit(ref), { cwd: repo });
  if (r.code !== 0) return undefined;
  const [sha, time, author, subject] = r.stdout.trimEnd().split('\0');
  if (!sha || !time) return undefined;
  return { sha, time: Number(time), author: author ?? '', subject: subject ?? '' };
};

export const createGitVcs = (): Vcs => ({
  async root(dir) {
    const r = await runGit(cmd.revParseTopLevel(), { cwd: dir });
    return r.code === 0 ? r.stdout.trim() : undefined;
  },

  resolve,

  async dirtyPaths(repo) {
    const out = await gitOk(cmd.statusPorcelain(), { cwd: repo });
    return out
      .split('\0')
      .filter((e) => e.length > 3)
      .map((e) => e.slice(3))
      .filter((p) => !OWN_PATHS.some((own) => p.startsWith(own)));
  },

  async listFiles(repo) {
    const out = await gitOk(cmd.listFiles(), { cwd: repo });
    return [...new Set(out.split('\0').filter((p) => p !== ''))].filter((p) => !OWN_PATHS.some((own) => p.startsWith(own)));
  },

  async checkout(repo, commit, parent): Promise<Checkout> {
    await mkdir(parent, { recursive: true });
    const name = `${commit.sha.slice(0, 12)}-${randomBytes(4).toString('hex')}`;
    const dir = join(parent, name);
    // The index lives beside the tree, never in it, and only while git writes the tree.
    const index = join(parent, `${name}.index`);
    await mkdir(dir);
    try {
      await gitOk(cmd.checkoutTree(dir, commit.sha), { cwd: repo, env: { GIT_INDEX_FILE: index } });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    } finally {
      await rm(index, { force: true });
    }
    let disposed = false;
    return {
      dir,
      commit,
      async dispose() {
        if (disposed) return;
        disposed = true;
        await rm(dir, { recursive: true, force: true });
      },
    };
  },

  async readFile(repo, sha, path) {
    const r = await runGit(cmd.catFile(sha, path), { cwd: repo });
    return r.code === 0 ? r.stdout : undefined;
  },

  readFileAtRef(repo, ref, path, maxBytes) {
    return readFileAtRef(repo, ref, path, maxBytes, (sha) => resolve(repo, sha));
  },

  async fileSize(repo, sha, path) {
    const r = await runGit(cmd.catFileSize(sha, path), { cwd: repo });
    const n = Number(r.stdout.trim());
    return r.code === 0 && Number.isSafeInteger(n) ? n : undefined;
  },

  async firstCommitTime(repo, commit, since) {
    // Only full shas: a ref name here would be a way to ask about anything else.
    if (!SHA.test(commit) || !SHA.test(since)) return undefined;
    const r = await runGit(cmd.authorTimesBetween(since, commit), { cwd: repo });
    if (r.code !== 0) return undefined;
    const times = r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    return times.length === 0 ? undefined : times.reduce((a, b) => Math.min(a, b)) * 1000;
  },

  async onBranch(repo, sha, branch) {
    if (!SHA.test(sha) || !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(branch)) return false;
    return (await runGit(cmd.isAncestor(sha, `refs/heads/${branch}`), { cwd: repo })).code === 0;
  },
});

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
