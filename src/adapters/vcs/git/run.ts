// How Slipway runs git: one policy for every git process it starts (the VCS adapter, the canonical
// repository, the smart-HTTP backend, the CLI). No shell; local transports only (LOCAL_ONLY); no
// prompt; and no GIT_* variable inherited from the environment: a hook's GIT_DIR, GIT_INDEX_FILE
// or push quarantine, or a user's GIT_WORK_TREE, would point git at another repository than the
// one named by cwd or --git-dir. Variables Slipway means to pass (GIT_PROTOCOL) go in `extra`.
import { execFile, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { LOCAL_ONLY } from './commands.js';

export interface GitOut {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  cwd?: string;
  /** Variables for this git process, on top of the cleaned environment. */
  env?: Record<string, string>;
  /** Milliseconds after which git is killed (a failure, code ≠ 0); none by default. */
  timeout?: number;
}

/** The environment of a git process: this process's, without any GIT_* variable, and no prompts. */
export const gitEnv = (extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(from)) if (!k.startsWith('GIT_')) env[k] = v;
  return { ...env, GIT_TERMINAL_PROMPT: '0', ...extra };
};

/** Runs `git <args>` to the end; a failure is `code` ≠ 0, never a throw. */
export const runGit = (args: readonly string[], opts: GitOptions = {}): Promise<GitOut> =>
  new Promise((resolve) => {
    execFile('git', [...LOCAL_ONLY, ...args], { cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024, env: gitEnv(opts.env), ...(opts.timeout ? { timeout: opts.timeout } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });

/** Runs `git <args>` and returns its output; throws with git's words when it fails. */
export const gitOk = async (args: readonly string[], opts: GitOptions = {}): Promise<string> => {
  const r = await runGit(args, opts);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
};

/** Starts `git <args>` with its streams open (the smart-HTTP backend pipes request bodies through it). */
export const spawnGit = (args: readonly string[], opts: GitOptions & { stdio: StdioOptions }): ChildProcess =>
  spawn('git', [...LOCAL_ONLY, ...args], { cwd: opts.cwd, env: gitEnv(opts.env), stdio: opts.stdio });
