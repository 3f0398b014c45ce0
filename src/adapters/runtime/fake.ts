// An in-memory runtime for the engine's tests: instances are records in a shared `FakeWorld`
// (which outlives a runtime, like processes outlive a control plane), commands are a tiny script
// language, and crashes are injected. It passes the runtime contract (./contract.ts).

import { SlipwayError } from '../../core/errors.js';
import type { InstanceInfo, InstanceSpec, ReleaseRef, Runtime, RuntimeEvent, StartResult, SweptInstance } from '../../ports/runtime.js';

/** How a fake app behaves: `exit <code> [line…]` exits at once, `hang` never answers, anything else serves. */
export type FakeBehaviour = { kind: 'serve' } | { kind: 'exit'; code: number; lines: string[] } | { kind: 'hang' };

export function parseFakeCommand(command: string): FakeBehaviour {
  const exit = /^exit (\d+)(?: (.*))?$/.exec(command.trim());
  if (exit !== null) return { kind: 'exit', code: Number(exit[1]), lines: exit[2] === undefined ? [] : [exit[2]] };
  if (command.trim() === 'hang') return { kind: 'hang' };
  return { kind: 'serve' };
}

export interface FakeInstance {
  info: InstanceInfo;
  /** The environment the instance was given (vars plus the runtime's metadata). */
  vars: Record<string, string>;
  spec: InstanceSpec;
  alive: boolean;
  /** The runtime currently supervising it, if any. */
  owner: FakeRuntime | null;
}

/** What survives a fake control plane: stored artifacts, prepared dirs, running instances. */
export class FakeWorld {
  readonly digests: Set<string>;
  readonly prepared = new Map<string, string>();
  readonly instances = new Map<string, FakeInstance>();
  private nextPort = 20_000;
  private nextPid = 1_000;
  private nextId = 1;

  constructor(digests: Iterable<string> = []) {
    this.digests = new Set(digests);
  }

  port(): number {
    return this.nextPort++;
  }

  pid(): number {
    return this.nextPid++;
  }

  id(env: string, release: number, index: number): string {
    return `${env}-v${release}-${index}-${(this.nextId++).toString(16).padStart(6, '0')}`;
  }

  /** What the instance on `port` says its SLIPWAY_RELEASE is, or null when none answers there. */
  ask(port: number): string | null {
    for (const i of this.instances.values()) if (i.alive && i.info.port === port) return i.vars.SLIPWAY_RELEASE ?? null;
    return null;
  }

  /** Kills an instance's app: its owner (if any) restarts it and reports the crash. */
  crash(id: string, exitCode: number | null = null, signal: string | null = 'SIGKILL'): void {
    const i = this.instances.get(id);
    if (i === undefined || !i.alive) throw new Error(`fake world: no live instance ${id}`);
    if (i.owner === null) {
      i.alive = false;
      return;
    }
    i.owner.crashed(i, exitCode, signal);
  }
}

export interface FakeRuntimeOptions {
  world: FakeWorld;
  behaviour?: (spec: InstanceSpec) => FakeBehaviour;
  /** The delay reported before a restart; default 100 ms (no real waiting happens). */
  backoffMs?: number;
}

export class FakeRuntime implements Runtime {
  private readonly world: FakeWorld;
  private readonly behaviour: (spec: InstanceSpec) => FakeBehaviour;
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();
  private readonly mine = new Map<string, FakeInstance>();
  private closed = false;

  constructor(private readonly options: FakeRuntimeOptions) {
    this.world = options.world;
    this.behaviour = options.behaviour ?? ((s) => parseFakeCommand(s.command));
  }

  prepare(ref: ReleaseRef): Promise<{ dir: string }> {
    this.check();
    if (!this.world.digests.has(ref.digest)) {
      return Promise.reject(new SlipwayError('not_found', `cannot prepare ${ref.env} v${ref.release}: no artifact ${ref.digest}`));
    }
    const key = `${ref.env}/v${ref.release}-${ref.digest.slice(7, 19)}`;
    const dir = this.world.prepared.get(key) ?? `/fake/releases/${key}`;
    this.world.prepared.set(key, dir);
    return Promise.resolve({ dir });
  }

  async start(spec: InstanceSpec): Promise<StartResult> {
    await this.prepare(spec);
    const b = this.behaviour(spec);
    const started: FakeInstance[] = [];
    for (let n = 1; n <= spec.instances; n++) {
      const port = this.world.port();
      const id = this.world.id(spec.env, spec.release, n);
      const vars = { ...spec.vars, PORT: String(port), SLIPWAY_ENV: spec.env, SLIPWAY_RELEASE: `v${spec.release}`, SLIPWAY_DIGEST: spec.digest, SLIPWAY_INSTANCE: id };
      const info: InstanceInfo = {
        id, env: spec.env, release: spec.release, digest: spec.digest, pid: this.world.pid(), port, url: `http://127.0.0.1:${port}`,
        startedAt: new Date().toISOString(), restarts: 0, state: 'starting', log: `/fake/logs/${spec.env}/${id}.log`,
      };
      const inst: FakeInstance = { info, vars, spec, alive: true, owner: this };
      this.world.instances.set(id, inst);
      this.mine.set(id, inst);
      started.push(inst);
      this.emit({ kind: 'instance.started', instance: { ...info } });
      if (b.kind !== 'serve') {
        await Promise.all(started.map((s) => this.stopOne(s)));
        const label = `${spec.env} v${spec.release} instance ${id}`;
        return b.kind === 'exit'
          ? { ok: false, reason: 'exited', message: `${label}: "${spec.command}" exited with code ${b.code} before answering GET ${spec.health.path}`, lastLines: b.lines, output: b.lines, port, exit: { code: b.code, signal: null } }
          : { ok: false, reason: 'timeout', message: `${label}: no 2xx answer to GET ${spec.health.path} within the start timeout (${spec.health.startTimeoutMs} ms)`, lastLines: [], output: [], port };
      }
      info.state = 'healthy';
      this.emit({ kind: 'instance.healthy', instance: { ...info }, afterMs: 1 });
    }
    return { ok: true, instances: started.map((s) => ({ ...s.info })) };
  }

  list(env: string, release?: number): InstanceInfo[] {
    return [...this.mine.values()].filter((i) => i.info.env === env && (release === undefined || i.info.release === release)).map((i) => ({ ...i.info }));
  }

  async stop(env: string, release: number): Promise<void> {
    this.check();
    await Promise.all([...this.mine.values()].filter((i) => i.info.env === env && i.info.release === release).map((i) => this.stopOne(i)));
  }

  adopt(recorded: InstanceInfo[], spec: (ref: ReleaseRef) => InstanceSpec | undefined): Promise<InstanceInfo[]> {
    this.check();
    const out: InstanceInfo[] = [];
    for (const r of recorded) {
      const i = this.world.instances.get(r.id);
      if (i === undefined || !i.alive || spec({ env: r.env, release: r.release, digest: r.digest }) === undefined) continue;
      i.owner = this;
      this.mine.set(i.info.id, i);
      out.push({ ...i.info });
    }
    return Promise.resolve(out);
  }

  /** Stops the live instances no runtime supervises (their control plane closed or died). */
  sweep(): Promise<SweptInstance[]> {
    this.check();
    const swept: SweptInstance[] = [];
    for (const i of [...this.world.instances.values()]) {
      if (!i.alive || i.owner !== null) continue;
      i.alive = false;
      this.world.instances.delete(i.info.id);
      swept.push({ id: i.info.id, env: i.info.env, pids: [i.info.pid], killed: false });
    }
    return Promise.resolve(swept);
  }

  onEvent(listener: (e: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(opts: { stopInstances?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (opts.stopInstances === true) await Promise.all([...this.mine.values()].map((i) => this.stopOne(i)));
    for (const i of this.mine.values()) i.owner = null;
    this.mine.clear();
    this.listeners.clear();
    this.closed = true;
  }

  /** Called by the world: report the crash, restart, report health, as the process runtime does. */
  crashed(i: FakeInstance, exitCode: number | null, signal: string | null): void {
    i.info.state = 'crashed';
    this.emit({ kind: 'instance.crashed', instance: { ...i.info }, exitCode, signal, lastLines: [] });
    i.info.restarts++;
    i.info.pid = this.world.pid();
    i.info.state = 'starting';
    this.emit({ kind: 'instance.restarted', instance: { ...i.info }, attempt: i.info.restarts, backoffMs: this.options.backoffMs ?? 100 });
    i.info.state = 'healthy';
    this.emit({ kind: 'instance.healthy', instance: { ...i.info }, afterMs: 1 });
  }

  private stopOne(i: FakeInstance): Promise<void> {
    i.alive = false;
    i.owner = null;
    i.info.state = 'stopped';
    this.world.instances.delete(i.info.id);
    this.mine.delete(i.info.id);
    this.emit({ kind: 'instance.stopped', instance: { ...i.info } });
    return Promise.resolve();
  }

  private emit(e: RuntimeEvent): void {
    for (const l of this.listeners) l(e);
  }

  private check(): void {
    if (this.closed) throw new Error('the fake runtime is closed');
  }
}

/** A fake runtime over `world` (share the world between runtimes to test adoption). */
export const createFakeRuntime = (options: FakeRuntimeOptions): FakeRuntime => new FakeRuntime(options);
