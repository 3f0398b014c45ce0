// One runtime over several kinds: each release runs on the runtime its environment names
// (`runtime: process | docker`, carried by the ReleaseRef), so that one control plane serves some
// environments as processes and others as containers, and an environment may move from one kind to
// the other between releases (the previous release stays warm on its own kind). A kind's runtime is
// made on first use: a control plane whose environments are all processes never reaches an engine.
import type { RuntimeKind } from '../../core/config/types.js';
import { SlipwayError } from '../../core/errors.js';
import type { InstanceInfo, InstanceSpec, ReleaseRef, Runtime, RuntimeEvent, SweptInstance } from '../../ports/runtime.js';

/** Makes the runtime of one kind (called once, on its first use). */
export type RuntimeFactory = () => Promise<Runtime>;

/**
 * A runtime that hands each release to the runtime of its kind (`ref.runtime`, default `process`).
 * The process runtime is always there (its sweep runs at every recovery); the others are made on
 * first use.
 *
 * @example const runtime = runtimeByKind(processRuntime, { docker: () => createDockerRuntime(o) });
 */
export function runtimeByKind(processRuntime: Runtime, factories: Partial<Record<Exclude<RuntimeKind, 'process'>, RuntimeFactory>>): Runtime {
  const made = new Map<RuntimeKind, Runtime>();
  const making = new Map<RuntimeKind, Promise<Runtime>>();
  const listeners = new Set<(e: RuntimeEvent) => void>();

  const get = (kind: RuntimeKind): Promise<Runtime> => {
    const known = making.get(kind);
    if (known !== undefined) return known;
    const factory = kind === 'process' ? undefined : factories[kind];
    if (factory === undefined) return Promise.reject(new SlipwayError('config', `this control plane has no ${kind} runtime`, 'set the environment\'s runtime to one this control plane runs'));
    const p = factory().then((rt) => {
      made.set(kind, rt);
      relay(rt);
      return rt;
    });
    // A failed start (an engine that is down) is tried again on the next use.
    p.catch(() => making.delete(kind));
    making.set(kind, p);
    return p;
  };
  const relay = (rt: Runtime): void => {
    rt.onEvent((e) => {
      for (const l of listeners) l(e);
    });
  };
  made.set('process', processRuntime);
  making.set('process', Promise.resolve(processRuntime));
  relay(processRuntime);
  const kind = (ref: Pick<ReleaseRef, 'runtime'>): RuntimeKind => ref.runtime ?? 'process';
  const all = (): Runtime[] => [...made.values()];

  return {
    async prepare(ref) {
      return (await get(kind(ref))).prepare(ref);
    },

    async start(spec: InstanceSpec, onHost) {
      return (await get(kind(spec))).start(spec, onHost);
    },

    list: (env, release) => all().flatMap((rt) => rt.list(env, release)),

    async stop(env, release) {
      await Promise.all(all().map((rt) => rt.stop(env, release)));
    },

    async adopt(recorded, specOf) {
      const groups = new Map<RuntimeKind, InstanceInfo[]>();
      for (const r of recorded) {
        const k = kind(specOf(r) ?? {});
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      const adopted: InstanceInfo[] = [];
      for (const [k, instances] of groups) adopted.push(...(await (await get(k)).adopt(instances, specOf)));
      return adopted;
    },

    async sweep() {
      const swept: SweptInstance[] = [];
      for (const rt of all()) swept.push(...(await rt.sweep()));
      return swept;
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close(opts) {
      await Promise.allSettled([...making.values()]);
      await Promise.all(all().map((rt) => rt.close(opts)));
      listeners.clear();
    },
  };
}
