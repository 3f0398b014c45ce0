// End-to-end harness: real git repositories in temporary directories and the real `slipway`
// binary run as a child process, with the control plane it starts stopped afterwards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxDirOf } from '../../src/home/paths.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(ROOT, 'bin/slipway.js');
export const EXAMPLE = join(ROOT, 'examples/hello-service');

/**
 * The per-user registry of homes and ports (home/registry.ts) that e2e runs write: shared by the
 * test processes of this machine, never the real user's.
 */
export const E2E_STATE_DIR = process.env.SLIPWAY_STATE_DIR ?? join(tmpdir(), 'slipway-e2e-state');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const AUTHOR = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.test',
  GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
  GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
};

export const git = (cwd: string, ...args: string[]): string => {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: gitEnv(AUTHOR) });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
};

export class TempRepo {
  readonly dir: string;
  /** Directories outside the repository that belong to it (e.g. a latch a sandboxed step can see); dispose removes them. */
  readonly outside: string[] = [];

  constructor(prefix = 'slipway-e2e-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    git(this.dir, 'init', '--quiet', '--initial-branch=main');
  }

  /** A repository holding a copy of the example app. */
  static fromExample(): TempRepo {
    const repo = new TempRepo();
    cpSync(EXAMPLE, repo.dir, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.endsWith('/dist') });
    repo.commit('hello-service');
    return repo;
  }

  write(files: Record<string, string>): this {
    for (const [p, text] of Object.entries(files)) {
      const full = join(this.dir, p);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
    return this;
  }

  commit(message: string): string {
    git(this.dir, 'add', '-A');
    git(this.dir, 'commit', '--quiet', '--allow-empty', '-m', message);
    return git(this.dir, 'rev-parse', 'HEAD');
  }

  /** Runs the CLI to its end. */
  cli(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<CliResult> {
    return new Promise((resolvePromise) => {
      const child = this.spawn(args, opts);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    });
  }

  spawn(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): ChildProcess {
    return spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? this.dir,
      env: { ...process.env, ...AUTHOR, CI: 'true', SLIPWAY_STATE_DIR: E2E_STATE_DIR, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Stops what the repository's Slipway started (instances, proxy, control plane), then removes it. */
  async dispose(): Promise<void> {
    await this.cli(['down']);
    await this.cli(['server', 'stop']);
    killLeftovers(join(this.dir, '.slipway'));
    rmSync(this.dir, { recursive: true, force: true });
    // The work trees, releases and data of the home live outside it (docs/security.md).
    rmSync(sandboxDirOf(join(this.dir, '.slipway')), { recursive: true, force: true });
    for (const d of this.outside) rmSync(d, { recursive: true, force: true });
  }
}

/** Safety net for a test that failed half-way: kill any shim or proxy a home still names. */
export const killLeftovers = (home: string): void => {
  const pids: number[] = [];
  const read = (f: string): void => {
    try {
      const j = JSON.parse(readFileSync(f, 'utf8')) as { pid?: number; shimPid?: number; appPid?: number };
      for (const p of [j.pid, j.shimPid, j.appPid]) if (typeof p === 'number' && p > 1) pids.push(p);
    } catch {
      // Not there, or half-written: nothing to kill.
    }
  };
  read(join(home, 'proxy', 'proxy.json'));
  try {
    for (const env of readdirSync(join(home, 'run'))) for (const f of readdirSync(join(home, 'run', env))) read(join(home, 'run', env, f));
  } catch {
    // No instances were ever started.
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
};

/** A minimal app: a build that writes dist/ and the given gates. */
export const minimalApp = (gates = ''): Record<string, string> => ({
  'slipway.yaml': `app: mini\nbuild:\n  run: mkdir -p dist && echo built > dist/out.txt\n  artifact: [dist/]\n${gates ? `gates:\n${gates}` : ''}`,
});
