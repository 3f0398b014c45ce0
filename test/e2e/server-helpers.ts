// A Slipway server with many apps for the end-to-end tests, as an operator and a new user meet it:
// `slipway server --home DIR` on 127.0.0.1, the operator's CLI on the box (the server's proxy),
// and a "laptop" CLI with its own config directory and no Slipway home, pushing over git.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { BIN, E2E_STATE_DIR, git, killLeftovers, type CliResult } from './harness.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { proxyFiles, type ProxyHealth } from '../../src/ports/proxy.js';
import { waitFor } from '../../src/test-support/wait.js';

export interface AppsServer {
  home: string;
  /** `http://127.0.0.1:PORT` of the API and the git endpoint. */
  base: string;
  adminToken: string;
  /** What the server wrote to stderr so far. */
  log(): string;
  /** Stops the control plane alone (SIGTERM), as `systemctl restart` does: the proxy and the apps keep serving. */
  stop(): Promise<void>;
  /** Stops every app (instances and routes), the server, the shared proxy; removes the sandbox area. */
  close(cli: LaptopCli): Promise<void>;
}

/** Starts `slipway server --home DIR --listen 127.0.0.1:0`; resolves once it listens. */
export async function startAppsServer(home: string): Promise<AppsServer> {
  const server: ChildProcess = spawn(process.execPath, [BIN, 'server', '--home', home, '--listen', '127.0.0.1:0'], { env: { ...process.env, SLIPWAY_STATE_DIR: E2E_STATE_DIR }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const port = await waitFor(
    () => {
      if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}): ${log}`);
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      return m ? Number(m[1]) : undefined;
    },
    { what: 'the server to listen', timeout: 30_000 },
  );
  const stop = async (): Promise<void> => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const stopped = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await stopped;
  };
  const apps = (): string[] => (existsSync(join(home, 'apps')) ? readdirSync(join(home, 'apps')).sort() : []);
  return {
    home,
    base: `http://127.0.0.1:${port}`,
    adminToken: readFileSync(join(home, 'token'), 'utf8').trim(),
    log: () => log,
    stop,
    close: async (cli) => {
      if (server.exitCode === null) for (const app of apps()) await cli(['down', '--app', app]);
      await stop();
      // The shared proxy outlives the control plane by design (a restart of it drops nothing).
      await operator(home, ['proxy', 'stop']);
      for (const app of apps()) killLeftovers(join(home, 'apps', app));
      killLeftovers(home);
      rmSync(sandboxDirOf(home), { recursive: true, force: true });
    },
  };
}

/** The CLI as the operator runs it on the box, for the server's edge: `slipway … --home DIR`. */
export const operator = (home: string, args: string[]): Promise<CliResult> => run([...args, '--home', home], { cwd: home, env: { SLIPWAY_HOME: '' } });

export type LaptopCli = (args: string[], opts?: { input?: string; env?: Record<string, string>; cwd?: string }) => Promise<CliResult>;

/** The CLI on a laptop: its own config directory (`slipway login` keeps its file there), no Slipway home. */
export const laptopCli = (config: string, cwd: string): LaptopCli => (args, opts = {}) => run(args, { cwd: opts.cwd ?? cwd, input: opts.input, env: { XDG_CONFIG_HOME: config, SLIPWAY_SERVER: '', SLIPWAY_TOKEN: '', SLIPWAY_HOME: '', ...opts.env } });

const run = (args: string[], opts: { cwd: string; input?: string; env?: Record<string, string> }): Promise<CliResult> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, CI: 'true', SLIPWAY_STATE_DIR: E2E_STATE_DIR, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });

/** Runs the CLI and asserts it exits 0. */
export const ok = async (cli: LaptopCli, args: string[], opts?: Parameters<LaptopCli>[1]): Promise<CliResult> => {
  const r = await cli(args, opts);
  assert.equal(r.code, 0, `slipway ${args.join(' ')}: ${r.stderr}`);
  return r;
};

/**
 * A clone of an app on the laptop: a git repository whose slipway.yaml names the app, and a
 * server answering `hello from <app> <version>` (and `ok` on /healthz) on $PORT.
 */
export function appClone(dir: string, app: string, environments: string[], version = 'v1'): void {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, '.git'))) git(dir, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(
    join(dir, 'slipway.yaml'),
    [
      `app: ${app}`,
      'build:',
      '  run: mkdir -p dist && cp server.js dist/',
      '  artifact: [dist/]',
      'run:',
      '  command: node dist/server.js',
      '  health: { path: /healthz, start_timeout: 10s }',
      '  stop_grace: 1s',
      'environments:',
      ...environments,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'server.js'), `require('node:http').createServer((q, s) => s.end(q.url === '/healthz' ? 'ok' : 'hello from ${app} ${version}')).listen(Number(process.env.PORT), '127.0.0.1');\n`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', `${app} ${version}`);
}

/** `git push <server>/git/<app>.git HEAD:refs/for/main` from `clone`, the token as the password. */
export const push = (base: string, token: string, clone: string, app: string): { status: number | null; stderr: string } => {
  const url = base.replace('http://', `http://laptop:${encodeURIComponent(token)}@`);
  const r = spawnSync('git', ['-c', 'credential.helper=', 'push', `${url}/git/${app}.git`, 'HEAD:refs/for/main'], { cwd: clone, encoding: 'utf8', env: gitEnv({ GIT_ASKPASS: '', SSH_ASKPASS: '', GIT_TERMINAL_PROMPT: '0' }) });
  return { status: r.status, stderr: r.stderr };
};

/** Pushes to the queue and waits until the server merged it (its gates passed). */
export async function pushAndMerge(cli: LaptopCli, server: AppsServer, clone: string, app: string): Promise<void> {
  const r = push(server.base, server.adminToken, clone, app);
  assert.equal(r.status, 0, r.stderr);
  const id = /(q\d+) queued/.exec(r.stderr)?.[1];
  assert.ok(id, r.stderr);
  const item = await waitFor(
    async () => {
      const q = JSON.parse((await ok(cli, ['queue', '--json', '--app', app])).stdout) as { items: { id: string; state: string }[] };
      const i = q.items.find((x) => x.id === id);
      return i && i.state !== 'queued' && i.state !== 'testing' ? i : undefined;
    },
    { what: `${app} ${id} to be merged`, timeout: 120_000, interval: 300 },
  );
  assert.equal(item.state, 'merged', JSON.stringify(item));
}

/** The shared proxy's admin API, as the operator on the box reaches it (its port and token in DIR/proxy/). */
export function proxyAdmin(home: string): { call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>; health(): Promise<ProxyHealth>; metrics(): Promise<string> } {
  const files = proxyFiles(home);
  const endpoint = () => ({ port: (JSON.parse(readFileSync(files.state, 'utf8')) as { adminPort: number }).adminPort, token: readFileSync(files.token, 'utf8').trim() });
  const call = async (method: string, path: string, body?: unknown) => {
    const { port, token } = endpoint();
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };
  return {
    call,
    health: async () => (await call('GET', '/v1/health')).body as ProxyHealth,
    metrics: async () => (await fetch(`http://127.0.0.1:${endpoint().port}/metrics`)).text(),
  };
}
