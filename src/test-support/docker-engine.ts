// A real Docker Engine and a real registry for the container tests (issue 14.4): dockerd on a
// private socket under a temporary directory (host networking only: the default bridge is off and
// so are iptables, so no container reaches a private range), and Debian's `docker-registry` on
// 127.0.0.1:<free port> with filesystem storage, allowed as an insecure registry by that engine.
// Both are stopped and their directories removed by `stop()`. Where no engine can start (not
// root, no dockerd binary), `startDockerEngine` returns the reason, which the test prints as its
// skip reason (test/skips.txt lists the tests that may skip).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export interface DockerEngine {
  /** The engine's API socket (root-only). */
  socket: string;
  /** The test registry this engine trusts, `127.0.0.1:<port>`. */
  registry: string;
  /** Stops the engine and the registry and removes their directories. */
  stop(): Promise<void>;
}

/** Why no engine can start here, or null when one can. */
export function dockerUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the Docker Engine needs root, and the tests do not run as root here';
  for (const bin of ['dockerd', 'docker-registry', 'containerd', 'runc']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore', env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } }).status !== 0) {
      return `${bin} is not installed (apt-get install docker.io docker-registry)`;
    }
  }
  return null;
}

/** A loopback port that was free a moment ago. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** GET on a unix socket: the status, or null when nothing answers. */
export function getStatus(socket: string, path: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('error', () => resolve(null));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

function getTcpStatus(port: number, path: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('error', () => resolve(null));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

/** Stops a child started here: SIGTERM, then SIGKILL after `graceMs`, and waits for its exit. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface Registry {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** The command that runs `argv` in the network namespace `netns` only (its own loopback; same files and cgroups). */
export const inNetns = (netns: string | undefined, argv: string[]): [string, string[]] =>
  netns === undefined ? [argv[0] as string, argv.slice(1)] : ['nsenter', [`--net=/run/netns/${netns}`, '--', ...argv]];

/**
 * Starts Debian's registry (distribution 2.x) on 127.0.0.1:<free port> with filesystem storage;
 * `readOnly`: in maintenance mode, refusing every push (a registry that says no). `storage` and
 * `port` and `netns`: another registry over the same storage, on the same port of a network
 * namespace's loopback (a host of several reaching the same registry).
 */
export async function startRegistry(opts: { readOnly?: boolean; storage?: string; port?: number; netns?: string } = {}): Promise<Registry & { storage: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-registry-'));
  const port = opts.port ?? (await freeLoopbackPort());
  const storage = opts.storage ?? join(dir, 'data');
  const config = join(dir, 'config.yml');
  writeFileSync(config, [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    ...(opts.readOnly === true ? ['  maintenance:', '    readonly:', '      enabled: true'] : []),
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n'));
  const log = openSync(join(dir, 'registry.log'), 'a');
  const [cmd, args] = inNetns(opts.netns, ['docker-registry', 'serve', config]);
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const stop = async (): Promise<void> => {
    await stopChild(child, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // In a namespace its port is not reachable from here: asked from inside.
    const probe = `require('http').get('http://127.0.0.1:${port}/v2/', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))`;
    const ready = async (): Promise<boolean> => (opts.netns === undefined ? (await getTcpStatus(port, '/v2/')) === 200 : spawnSync(...inNetns(opts.netns, [process.execPath, '-e', probe]), { stdio: 'ignore' }).status === 0);
    await waitFor(async () => child.exitCode === null && (await ready()), { what: `the registry to answer on 127.0.0.1:${port}`, timeout: 30_000 });
  } catch (e) {
    const out = readFileSync(join(dir, 'registry.log'), 'utf8').slice(-2000);
    await stop();
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return { host: `127.0.0.1:${port}`, port, stop, storage };
}

/**
 * Starts dockerd (with a registry it trusts) on a private socket; returns the reason instead when
 * no engine can start here. Call `stop()` in the test's `after`.
 */
export async function startDockerEngine(): Promise<DockerEngine | { unavailable: string }> {
  const why = dockerUnavailable();
  if (why !== null) return { unavailable: why };
  const registry = await startRegistry();
  try {
    const engine = await startDockerd({ insecureRegistry: registry.host });
    return { ...engine, registry: registry.host, stop: async () => { await engine.stop(); await registry.stop(); } };
  } catch (e) {
    await registry.stop();
    throw e;
  }
}

/**
 * dockerd alone on a private socket, data root and exec root under a new temporary directory, with
 * the default bridge and iptables off; `netns`: inside that network namespace (its containers use
 * its loopback). `stop()` stops it and removes the directory.
 */
export async function startDockerd(opts: { insecureRegistry: string; netns?: string }): Promise<{ socket: string; dir: string; stop(): Promise<void> }> {
  const registry = { host: opts.insecureRegistry };
  // Short paths: a unix socket path is limited to 108 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'slw-dk-'));
  const socket = join(dir, 'docker.sock');
  const args = [
    '--bridge=none', '--iptables=false', '--ip6tables=false', `--host=unix://${socket}`,
    `--data-root=${join(dir, 'data')}`, `--exec-root=${join(dir, 'exec')}`, `--pidfile=${join(dir, 'docker.pid')}`,
    `--insecure-registry=${registry.host}`, '--log-level=warn',
  ];
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const [cmd, argv] = inNetns(opts.netns, ['dockerd', ...args]);
  const child = spawn(cmd, argv, { stdio: ['ignore', log, log], env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
  closeSync(log);
  const stop = async (): Promise<void> => {
    // dockerd stops its containers (10 s each at most) and its containerd.
    await stopChild(child, 30_000);
    // Mounts left by a killed engine would make the removal fail; unmount what is below the dir.
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir)).reverse();
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`dockerd exited with code ${child.exitCode}`);
      return existsSync(socket) && (await getStatus(socket, '/_ping')) === 200;
    }, { what: `dockerd to answer on ${socket}`, timeout: 60_000 });
  } catch (e) {
    const out = existsSync(join(dir, 'dockerd.log')) ? readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-3000) : '';
    await stop();
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return { socket, dir, stop };
}
