// git's side of the smart HTTP protocol: `git upload-pack` / `git receive-pack --stateless-rpc`
// on a local repository, with git's own environment left out (run.ts). The control
// plane's HTTP server (server/git-http.ts) streams request and response bodies through it.
import type { ChildProcess } from 'node:child_process';
import { spawnGit } from './run.js';

/** Starts `git <command> --stateless-rpc` on `repo`; `advertise` asks for the ref advertisement (stdin unused). */
export const spawnGitService = (command: 'upload-pack' | 'receive-pack', repo: string, env: Record<string, string>, opts: { advertise: boolean }): ChildProcess =>
  spawnGit([command, '--stateless-rpc', ...(opts.advertise ? ['--advertise-refs'] : []), '--end-of-options', repo], {
    env,
    stdio: [opts.advertise ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
