// Several Docker hosts for the multi-host tests (issue 14.3): each "host" is a network namespace
// this helper creates (its own loopback and nothing else: no veth, no address but 127.0.0.1), with
// its own dockerd (private socket, data root and exec root; bridge and iptables off), its own
// registry over the shared storage on the same loopback port (so `127.0.0.1:P/…@sha256:…` pulls the
// same bytes on every host, as real hosts reach one registry by name), and its own Slipway proxy
// serving its admin API on a unix socket. The control plane, outside every namespace, reaches each
// host only through the two unix sockets, as it reaches real hosts through sockets SSH forwards.
// `down()` makes a host unreachable by moving both socket files away (the host keeps running and
// serving, as a partitioned machine does); `up()` puts them back. `stop()` stops and removes all.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerUnavailable, getStatus, inNetns, startDockerd, startRegistry, type Registry } from './docker-engine.js';
import { waitFor } from './wait.js';

/** The proxy daemon script of this build. */
const DAEMON = fileURLToPath(new URL('../proxy/daemon.js', import.meta.url));

export interface TestHost {
  name: string;
  netns: string;
  /** The engine's API socket. */
  docker: string;
  /** The proxy's admin socket. */
  proxy: string;
  /** Runs `argv` inside the host's namespace (e.g. a load generator against its proxy). */
  spawnIn(argv: string[]): ChildProcess;
  /** Moves both sockets away: the host cannot be reached, but keeps serving. */
  down(): void;
  up(): void;
}

export interface TestHosts {
  /** The registry the control plane pushes to, `127.0.0.1:<port>` (the same address on every host). */
  registry: string;
  hosts: TestHost[];
  stop(): Promise<void>;
  /** What is left after `stop()`: namespaces, processes and directories it made that still exist (none, when all went). */
  leftovers(): string[];
}

/** Why several hosts cannot be made here, or null. */
export function dockerHostsUnavailable(): string | null {
  const why = dockerUnavailable();
  if (why !== null) return why;
  for (const bin of ['ip', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore', env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } }).status !== 0) return `${bin} is not installed (iproute2, util-linux)`;
  }
  return null;
}

const ip = (...args: string[]): void => {
  const r = spawnSync('ip', args, { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
};

/** Starts `names.length` hosts; every part started is stopped again when a later one fails. */
export async function startHosts(names: string[]): Promise<TestHosts> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const dirs: string[] = [];
  const pids: number[] = [];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // Best effort: the next cleanup still runs.
      }
    }
  };
  try {
    const registry: Registry & { storage: string } = await startRegistry();
    cleanups.push(() => registry.stop());
    dirs.push(registry.storage);
    const hosts: TestHost[] = [];
    const tag = randomBytes(3).toString('hex');
    for (const name of names) {
      const netns = `slw-${tag}-${name}`;
      ip('netns', 'add', netns);
      cleanups.push(() => ip('netns', 'delete', netns));
      ip('-n', netns, 'link', 'set', 'lo', 'up');
      const mirror = await startRegistry({ storage: registry.storage, port: registry.port, netns });
      cleanups.push(() => mirror.stop());
      const engine = await startDockerd({ insecureRegistry: registry.host, netns });
      cleanups.push(() => engine.stop());
      dirs.push(engine.dir, mirror.storage);
      const dir = mkdtempSync(join(tmpdir(), 'slw-hp-'));
      dirs.push(dir);
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const proxy = join(dir, 'proxy.sock');
      const log = openSync(join(dir, 'proxy.log'), 'a');
      const [cmd, args] = inNetns(netns, [process.execPath, DAEMON, '--home', join(dir, 'home'), '--admin-socket', proxy]);
      const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
      closeSync(log);
      if (child.pid !== undefined) pids.push(child.pid);
      cleanups.push(() => stopChild(child));
      // Sockets moved away by down() are put back first, so that every stop finds its files.
      const away = (p: string): string => `${p}.away`;
      cleanups.push(() => {
        for (const p of [engine.socket, proxy]) if (existsSync(away(p))) renameSync(away(p), p);
      });
      try {
        await waitFor(async () => child.exitCode === null && (await getStatus(proxy, '/v1/health')) === 200, { what: `the proxy of host ${name} to answer on ${proxy}`, timeout: 30_000 });
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${existsSync(join(dir, 'proxy.log')) ? readFileSync(join(dir, 'proxy.log'), 'utf8').slice(-2000) : ''}`);
      }
      hosts.push({
        name, netns, docker: engine.socket, proxy,
        spawnIn: (argv) => {
          const [c, a] = inNetns(netns, argv);
          return spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
        },
        down: () => {
          for (const p of [engine.socket, proxy]) renameSync(p, away(p));
        },
        up: () => {
          for (const p of [engine.socket, proxy]) if (existsSync(away(p))) renameSync(away(p), p);
        },
      });
    }
    const made = { netns: hosts.map((h) => h.netns), dirs: [...dirs], pids: [...pids] };
    const leftovers = (): string[] => {
      const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      return [
        ...made.netns.filter((n) => netns.includes(n)).map((n) => `network namespace ${n}`),
        ...made.dirs.filter((d) => existsSync(d)).map((d) => `directory ${d}`),
        ...made.pids.filter((p) => alive(p)).map((p) => `process ${p}`),
      ];
    };
    return { registry: registry.host, hosts, stop, leftovers };
  } catch (e) {
    await stop();
    throw e;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
