// What every command gets: where it runs, how it prints, and the way to the control plane.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { createGitVcs } from '../adapters/vcs/git/git.js';
import { resolveHome } from '../home/paths.js';
import { connect, type Client } from './client.js';

export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  /** The repository's top-level directory; throws a usage error outside a repository. */
  repo(): Promise<string>;
  home(): Promise<string>;
  client(): Promise<Client>;
}

/**
 * The work tree's top directory, found by looking for `.git` upwards (a directory, or the file of
 * a linked work tree): no git process on the path of every command. Undefined when not found, and
 * then git itself is asked (bare repositories and the like; GIT_DIR and every other GIT_* variable
 * are not passed on to git: adapters/vcs/git/run.ts).
 */
const findRepoRoot = (from: string): string | undefined => {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
};

export const createCliContext = (cwd: string, env: NodeJS.ProcessEnv): CliContext => {
  const vcs = createGitVcs();
  let repo: Promise<string> | undefined;
  let client: Promise<Client> | undefined;
  const ctx: CliContext = {
    cwd,
    env,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY) && env.TERM !== 'dumb' && !env.CI,
    repo: () =>
      (repo ??= (async () => {
        const r = findRepoRoot(cwd) ?? (await vcs.root(cwd));
        if (!r) throw new SlipwayError('usage', `${cwd} is not inside a git repository`, 'run slipway inside your app’s repository (or `git init` one first)');
        return r;
      })()),
    home: async () => resolveHome(await ctx.repo(), env),
    client: () => (client ??= (async () => connect(await ctx.repo(), await ctx.home()))()),
  };
  return ctx;
};
