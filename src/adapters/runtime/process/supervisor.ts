// The control plane's side of supervision: follows each shim's state file (fs.watch, with polling
// as a fallback), turns its changes into runtime events, re-probes restarted apps, and stops shims.

import type { ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { InstanceInfo, InstanceSpec, RuntimeEvent } from '../../../ports/runtime.js';
import type { ShimState } from '../../../runtime-shim/protocol.js';
import { waitHealthy } from './health.js';
import type { RuntimePaths } from './paths.js';
import { groupAlive, isAlive, pollUntil, readShimState, signal } from './shims.js';

/** One instance as the runtime tracks it. */
export interface Tracked {
  info: InstanceInfo;
  stateFile: string;
  health: InstanceSpec['health'];
  graceMs: number;
  shimPid: number;
  /** Set when this process spawned the shim (its exit is then seen at once). */
  child: ChildProcess | null;
  state: ShimState | null;
  /** Start finished: from now on crashes and restarts become events. */
  supervising: boolean;
  stopping: boolean;
  /** The shim is gone without a `stopped` record. */
  lost: boolean;
  seenExitAt: string | null;
  seenRestarts: number;
  /** Woken on every state change. */
  waiters: Set<() => void>;
  probe: { cancelled: boolean } | null;
}

export class Supervisor {
  readonly instances = new Map<string, Tracked>();
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly paths: RuntimePaths,
    pollMs: number,
  ) {
    // fs.watch can miss events (or be unavailable); the poll is the fallback and also notices
    // shims that died without writing anything.
    this.timer = setInterval(() => this.refreshAll(), pollMs);
    this.timer.unref();
  }

  onEvent(listener: (e: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: RuntimeEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not stop supervision.
      }
    }
  }

  /** Starts tracking an instance, watching its environment's run directory. */
  track(t: Tracked): void {
    this.instances.set(t.info.id, t);
    this.watchEnv(t.info.env);
    t.child?.once('exit', () => this.refresh(t));
  }

  untrack(t: Tracked): void {
    this.instances.delete(t.info.id);
    if (t.probe !== null) t.probe.cancelled = true;
  }

  private watchEnv(env: string): void {
    if (this.watchers.has(env)) return;
    try {
      const w = watch(this.paths.runDir(env), (_event, name) => {
        const id = typeof name === 'string' && name.endsWith('.json') ? name.slice(0, -'.json'.length) : null;
        const t = id === null ? undefined : this.instances.get(id);
        if (t !== undefined) this.refresh(t);
      });
      w.on('error', () => {
        w.close();
        this.watchers.delete(env);
      });
      w.unref();
      this.watchers.set(env, w);
    } catch {
      // No watcher: the poll does the job, a little later.
    }
  }

  refreshAll(): void {
    for (const t of [...this.instances.values()]) this.refresh(t);
  }

  /** Reads the state file and acts on what changed. */
  refresh(t: Tracked): void {
    const st = readShimState(t.stateFile);
    if (st !== null && st.seq !== t.state?.seq) {
      t.state = st;
      if (t.supervising && !t.stopping) this.follow(t, st);
    }
    if (t.supervising && !t.stopping && !t.lost && !this.shimAlive(t) && t.state?.phase !== 'stopped') this.lose(t);
    for (const w of [...t.waiters]) w();
  }

  shimAlive(t: Tracked): boolean {
    if (t.child !== null && (t.child.exitCode !== null || t.child.signalCode !== null)) return false;
    return isAlive(t.shimPid);
  }

  /** Turns a state change of a supervised instance into events. */
  private follow(t: Tracked, st: ShimState): void {
    const exit = st.lastExit;
    const crashed = exit !== null && exit.at !== t.seenExitAt && (st.phase === 'backoff' || st.restarts > t.seenRestarts || st.phase === 'failed');
    if (exit !== null) t.seenExitAt = exit.at;
    if (crashed) {
      t.info.state = 'crashed';
      this.emit({ kind: 'instance.crashed', instance: { ...t.info }, exitCode: exit.code, signal: exit.signal, lastLines: exit.lastLines });
    }
    if (st.restarts > t.seenRestarts && st.appPid !== null) {
      t.seenRestarts = st.restarts;
      t.info.pid = st.appPid;
      t.info.restarts = st.restarts;
      t.info.state = 'starting';
      this.emit({ kind: 'instance.restarted', instance: { ...t.info }, attempt: st.restarts, backoffMs: st.backoffMs ?? 0 });
      void this.reprobe(t, st);
    }
    if (st.phase === 'stopped') {
      // Stopped by someone else (a SIGTERM to the shim): the instance is gone.
      t.info.state = 'stopped';
      this.untrack(t);
      this.emit({ kind: 'instance.stopped', instance: { ...t.info } });
    }
  }

  /** The shim died without stopping (e.g. kill -9): its app runs on unsupervised until `stop`. */
  private lose(t: Tracked): void {
    t.lost = true;
    t.info.state = 'crashed';
    void tailLines(t.info.log).then((lastLines) =>
      this.emit({ kind: 'instance.crashed', instance: { ...t.info }, exitCode: null, signal: null, lastLines: ['slipway: the instance\'s shim is gone', ...lastLines] }),
    );
  }

  /** Probes a restarted app until healthy (event) or the start timeout (state `unhealthy`). */
  async reprobe(t: Tracked, st: ShimState): Promise<void> {
    if (t.probe !== null) t.probe.cancelled = true;
    const probe = { cancelled: false };
    t.probe = probe;
    const appPid = st.appPid;
    const r = await waitHealthy({
      port: t.info.port, path: t.health.path, intervalMs: t.health.intervalMs, timeoutMs: t.health.timeoutMs, deadlineMs: t.health.startTimeoutMs,
      abort: () => (probe.cancelled || t.stopping || t.state?.appPid !== appPid ? 'superseded' : null),
      wake: (l) => this.wake(t, l),
    });
    if (probe.cancelled || t.stopping || t.state?.appPid !== appPid) return;
    t.probe = null;
    if (r.ok) {
      t.info.state = 'healthy';
      const since = st.appStartedAt === null ? r.afterMs : Date.now() - Date.parse(st.appStartedAt);
      this.emit({ kind: 'instance.healthy', instance: { ...t.info }, afterMs: Math.round(since) });
    } else if (r.reason === 'timeout' || r.reason === 'rejected') {
      t.info.state = 'unhealthy';
    }
  }

  /** Waits until `done()` holds (checked on every state change, and every 50 ms), at most `ms`. */
  async waitFor(t: Tracked, done: () => boolean, ms: number): Promise<boolean> {
    const until = performance.now() + ms;
    for (;;) {
      this.refresh(t);
      if (done()) return true;
      const left = until - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          off();
          resolve();
        }, Math.min(left, 50));
        const off = this.wake(t, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Registers a one-shot wake-up on the next state change. */
  wake(t: Tracked, listener: () => void): () => void {
    const once = (): void => {
      t.waiters.delete(once);
      listener();
    };
    t.waiters.add(once);
    return () => t.waiters.delete(once);
  }

  /**
   * Stops one instance: SIGTERM to the shim (which gives its app the grace period, then SIGKILL),
   * waits for it to go (grace + margin), and makes sure no process of the app is left.
   */
  async stop(t: Tracked): Promise<void> {
    t.stopping = true;
    if (t.probe !== null) t.probe.cancelled = true;
    const margin = 3000;
    if (this.shimAlive(t)) {
      signal(t.shimPid, 'SIGTERM');
      if (!(await pollUntil(() => !this.shimAlive(t), t.graceMs + margin))) signal(t.shimPid, 'SIGKILL');
    }
    t.state = readShimState(t.stateFile) ?? t.state;
    const appPid = t.state?.appPid ?? null;
    if (appPid !== null && groupAlive(appPid)) {
      // The shim was gone (or died while stopping): stop its app ourselves.
      signal(-appPid, 'SIGTERM');
      if (!(await pollUntil(() => !groupAlive(appPid), t.graceMs))) signal(-appPid, 'SIGKILL');
      // Orphaned by its shim, the app is reaped by init, which may lag on a loaded machine: wait
      // until it no longer runs (a zombie does not), not until its pid is gone.
      await pollUntil(() => !isAlive(appPid), KILL_WAIT_MS);
    }
    t.info.state = 'stopped';
    this.untrack(t);
    await rm(t.stateFile, { force: true });
    await rm(this.paths.tmpDir(t.info.env, t.info.id), { recursive: true, force: true });
    this.emit({ kind: 'instance.stopped', instance: { ...t.info } });
  }

  close(): void {
    clearInterval(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.instances.values()) if (t.probe !== null) t.probe.cancelled = true;
    this.listeners.clear();
  }
}

/** One log record without its time and stream prefix (the shim's notes as `slipway: …`). */
/** How long a SIGKILLed app may take to stop running (a loaded machine schedules it late). */
const KILL_WAIT_MS = 5000;

const bare = (l: string): string => l.replace(/^\S+ (out|err) /, '').replace(/^\S+ slipway /, 'slipway: ');

/**
 * An instance's output from its first line: all of it when the log is short, else its first and
 * last `part` bytes' lines with one `slipway: …` line between them saying how much was left out.
 * A failed start shows what the app printed while starting, which a tail of probe logs would hide.
 */
export async function outputLines(file: string, part = 32 * 1024): Promise<string[]> {
  let head = '';
  let tail = '';
  let size = 0;
  try {
    const fh = await open(file, 'r');
    try {
      size = (await fh.stat()).size;
      const first = Buffer.alloc(Math.min(size, part));
      await fh.read(first, 0, first.length, 0);
      head = first.toString('utf8');
      if (size > 2 * part) {
        const last = Buffer.alloc(part);
        await fh.read(last, 0, part, size - part);
        tail = last.toString('utf8');
      } else if (size > first.length) {
        const rest = Buffer.alloc(size - first.length);
        await fh.read(rest, 0, rest.length, first.length);
        head += rest.toString('utf8');
      }
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
  const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
  if (tail === '') return lines(head).map(bare);
  // Both ends are probably cut mid-line: drop the partial lines.
  const first = lines(head).slice(0, -1);
  const last = lines(tail).slice(1);
  return [...first.map(bare), `slipway: … ${size - 2 * part} bytes of output left out …`, ...last.map(bare)];
}

/** The last lines of an instance log (without their time and stream prefix). */
export async function tailLines(file: string, max = 20): Promise<string[]> {
  const TAIL = 64 * 1024;
  let text = '';
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const buf = Buffer.alloc(Math.min(size, TAIL));
      await fh.read(buf, 0, buf.length, size - buf.length);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
  const lines = text.split('\n').filter((l) => l !== '');
  if (text.length === TAIL) lines.shift(); // probably cut
  return lines.slice(-max).map(bare);
}
