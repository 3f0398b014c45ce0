// Several hosts (issue 14.3): the docker runtime of an environment with `hosts:` runs one docker
// runtime per host (each over that host's engine socket, its apps probed through that host's
// proxy) and rolls a start out host by host: the first host reached must be healthy before any
// other host is touched (the barrier). A host that cannot be reached follows `on_host_down`:
// `wait` (up to the start timeout, then as rollback), `skip` (left as it is, the others go on) or
// `rollback` (the hosts already started are stopped again: the previous release serves everywhere).
// An environment without `hosts:` runs on this machine's engine, as before.

import Docker from 'dockerode';
import { SlipwayError } from '../../../core/errors.js';
import { ProxyClient } from '../../proxy/client.js';
import type { Prober } from '../process/health.js';
import { createDockerRuntime, type DockerRuntimeOptions } from './index.js';
import type { HostSpec } from '../../../core/config/types.js';
import type { HostReport, InstanceInfo, InstanceSpec, Runtime, RuntimeEvent, StartResult, SweptInstance } from '../../../ports/runtime.js';

/** One host's runtime and whether the host answers now (its engine and its proxy). */
export interface HostHandle {
  runtime: Runtime;
  /** Null when both the engine and the proxy answer, else what does not. */
  down(): Promise<string | null>;
}

export interface DockerHostsOptions {
  /** The runtime of this machine's engine (environments without `hosts:`). */
  local: () => Promise<Runtime>;
  /** Makes the runtime of a host; throws when the host cannot be reached. */
  connect: (host: HostSpec) => Promise<HostHandle>;
  /** Pause between two attempts to reach a host that is down (on_host_down: wait); default 500 ms. */
  retryMs?: number;
}

const keyOf = (h: HostSpec): string => `${h.name}\0${h.docker}\0${h.proxy}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * A runtime over this machine's engine and the engines of the hosts environments name.
 *
 * @example const rt = dockerHostsRuntime({ local: () => createDockerRuntime(o), connect: (h) => connectHost(h) });
 */
export function dockerHostsRuntime(opts: DockerHostsOptions): Runtime {
  let local: Promise<Runtime> | undefined;
  let localRt: Runtime | undefined;
  const hosts = new Map<string, { spec: HostSpec; handle: HostHandle }>();
  const listeners = new Set<(e: RuntimeEvent) => void>();
  const relay = (rt: Runtime): void => {
    rt.onEvent((e) => {
      for (const l of listeners) l(e);
    });
  };
  const localRuntime = (): Promise<Runtime> => {
    if (local === undefined) {
      local = opts.local().then((rt) => {
        relay(rt);
        localRt = rt;
        return rt;
      });
      local.catch(() => (local = undefined));
    }
    return local;
  };
  /** Every runtime made so far: this machine's (once made) and each host's. */
  const made = (): Runtime[] => [...(localRt === undefined ? [] : [localRt]), ...[...hosts.values()].map((h) => h.handle.runtime)];

  /** The host's runtime when the host answers, else why not. */
  const reach = async (h: HostSpec): Promise<{ ok: true; runtime: Runtime } | { ok: false; message: string }> => {
    const known = hosts.get(keyOf(h));
    try {
      if (known !== undefined) {
        const down = await known.handle.down();
        return down === null ? { ok: true, runtime: known.handle.runtime } : { ok: false, message: down };
      }
      const handle = await opts.connect(h);
      const down = await handle.down();
      hosts.set(keyOf(h), { spec: h, handle });
      relay(handle.runtime);
      return down === null ? { ok: true, runtime: handle.runtime } : { ok: false, message: down };
    } catch (e) {
      return { ok: false, message: messageOf(e) };
    }
  };

  const startOnHosts = async (spec: InstanceSpec & { hosts: HostSpec[] }, tell: (r: HostReport) => void): Promise<StartResult> => {
    const policy = spec.onHostDown ?? 'rollback';
    const done: { host: HostSpec; runtime: Runtime }[] = [];
    const instances: InstanceInfo[] = [];
    const skipped: string[] = [];
    /** Stops what started on the hosts before (the previous release still serves there). */
    const undo = async (): Promise<string> => {
      for (const d of [...done].reverse()) {
        try {
          await d.runtime.stop(spec.env, spec.release);
          tell({ host: d.host.name, state: 'stopped' });
        } catch (e) {
          tell({ host: d.host.name, state: 'stopped', message: `could not stop: ${messageOf(e)}` });
        }
      }
      return done.length === 0 ? 'no host was started' : `stopped again on ${done.map((d) => d.host.name).join(', ')}`;
    };
    for (const h of spec.hosts) {
      tell({ host: h.name, state: 'starting' });
      let r = await reach(h);
      if (!r.ok && policy === 'wait') {
        tell({ host: h.name, state: 'waiting', message: `${r.message}; waiting up to ${spec.health.startTimeoutMs} ms (on_host_down: wait)` });
        const deadline = Date.now() + spec.health.startTimeoutMs;
        while (!r.ok && Date.now() < deadline) {
          await sleep(Math.min(opts.retryMs ?? 500, Math.max(1, deadline - Date.now())));
          r = await reach(h);
        }
      }
      if (!r.ok) {
        tell({ host: h.name, state: 'down', message: r.message });
        if (policy === 'skip') {
          skipped.push(h.name);
          tell({ host: h.name, state: 'skipped', message: 'left as it is (on_host_down: skip)' });
          continue;
        }
        const undone = await undo();
        return { ok: false, reason: 'spawn', message: `host ${h.name} cannot be reached (on_host_down: ${policy}): ${r.message}; ${undone}`, lastLines: [], output: [] };
      }
      let started: StartResult;
      try {
        started = await r.runtime.start(spec);
      } catch (e) {
        // Lost in the middle of the start (its engine or proxy stopped answering): a host down.
        const down = (await reach(h)).ok ? null : messageOf(e);
        if (down === null) {
          tell({ host: h.name, state: 'failed', message: messageOf(e) });
          await undo();
          throw e;
        }
        await r.runtime.stop(spec.env, spec.release).catch(() => undefined);
        tell({ host: h.name, state: 'down', message: down });
        if (policy === 'skip') {
          skipped.push(h.name);
          tell({ host: h.name, state: 'skipped', message: 'left as it is (on_host_down: skip)' });
          continue;
        }
        const undone = await undo();
        return { ok: false, reason: 'spawn', message: `host ${h.name} stopped answering during the start (on_host_down: ${policy}): ${down}; ${undone}`, lastLines: [], output: [] };
      }
      if (!started.ok) {
        tell({ host: h.name, state: 'failed', message: started.message });
        const undone = await undo();
        return { ...started, message: `on host ${h.name}: ${started.message}; ${undone}` };
      }
      tell({ host: h.name, state: 'healthy' });
      done.push({ host: h, runtime: r.runtime });
      instances.push(...started.instances);
    }
    if (done.length === 0) return { ok: false, reason: 'spawn', message: `no host could be reached (skipped: ${skipped.join(', ')})`, lastLines: [], output: [] };
    return { ok: true, instances };
  };

  return {
    async prepare(ref) {
      if (ref.hosts === undefined || ref.hosts.length === 0) return (await localRuntime()).prepare(ref);
      // The first host that answers pulls the image now (each host pulls it again when it starts it).
      const reasons: string[] = [];
      for (const h of ref.hosts) {
        const r = await reach(h);
        if (r.ok) return r.runtime.prepare(ref);
        reasons.push(`${h.name}: ${r.message}`);
      }
      throw new SlipwayError('unavailable', `cannot prepare ${ref.env} v${ref.release}: no host answers (${reasons.join('; ')})`, 'start the hosts\' engines and proxies, or check the sockets in hosts:');
    },

    async start(spec, onHost) {
      if (spec.hosts === undefined || spec.hosts.length === 0) return (await localRuntime()).start(spec);
      return startOnHosts({ ...spec, hosts: spec.hosts }, (r) => onHost?.(r));
    },

    list(env, release) {
      return made().flatMap((rt) => rt.list(env, release));
    },

    async stop(env, release) {
      const failures: string[] = [];
      await Promise.all(
        made().map(async (rt) => {
          try {
            await rt.stop(env, release);
          } catch (e) {
            // A host that is down keeps its containers until it is back (a later deploy or sweep).
            const host = [...hosts.values()].find((h) => h.handle.runtime === rt);
            if (host === undefined || (await host.handle.down()) === null) failures.push(messageOf(e));
          }
        }),
      );
      if (failures.length > 0) throw new SlipwayError('failed', `cannot stop ${env} v${release}: ${failures.join('; ')}`);
    },

    async adopt(recorded, specOf) {
      const adopted: InstanceInfo[] = [];
      const here = recorded.filter((r) => r.host === undefined);
      if (here.length > 0) adopted.push(...(await (await localRuntime()).adopt(here, specOf)));
      const elsewhere = recorded.filter((r) => r.host !== undefined);
      for (const r of elsewhere) {
        const h = specOf({ env: r.env, release: r.release, digest: r.digest })?.hosts?.find((x) => x.name === r.host);
        if (h === undefined) continue;
        const reached = await reach(h);
        if (!reached.ok) continue;
        adopted.push(...(await reached.runtime.adopt([r], specOf)));
      }
      return adopted;
    },

    async sweep() {
      const swept: SweptInstance[] = [];
      for (const rt of made()) swept.push(...(await rt.sweep().catch(() => [])));
      return swept;
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close(o) {
      if (local !== undefined) await local.catch(() => undefined);
      await Promise.all(made().map((rt) => rt.close(o)));
      listeners.clear();
    },
  };
}

/**
 * The handle of one host: a docker runtime over its engine socket whose apps are probed through the
 * host's proxy (their loopback is the host's), and a check that both answer.
 */
export async function connectHost(host: HostSpec, options: Omit<DockerRuntimeOptions, 'socketPath' | 'host'>): Promise<HostHandle> {
  const proxy = new ProxyClient(options.home, { socket: host.proxy });
  const probe: Prober = (port, path, timeoutMs) => proxy.probe(port, path, timeoutMs).catch((e: unknown) => ({ ok: false as const, kind: 'error' as const, message: `the proxy of host ${host.name} did not probe: ${messageOf(e)}` }));
  const runtime = await createDockerRuntime({ ...options, socketPath: host.docker, host: { name: host.name, probe } });
  const engine = new Docker({ socketPath: host.docker, timeout: 3000 });
  return {
    runtime,
    async down() {
      try {
        await engine.ping();
      } catch (e) {
        return `its engine at ${host.docker} does not answer: ${messageOf(e)}`;
      }
      return (await proxy.isAlive()) ? null : `its proxy at ${host.proxy} does not answer`;
    },
  };
}
