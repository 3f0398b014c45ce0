// Several hosts (issue 14.3): one proxy per host. The routes of an environment with `hosts:` go
// to each host's own proxy, in the hosts' order, each with the instances on that host only, never
// to this machine's proxy; every other call about that environment (in flight, metrics, removal)
// goes to its hosts too. Which environments have hosts is learnt from their routes and kept in
// `<home>/hosts/routes.json`, so that a restarted control plane still asks the right proxies.
//
// A host whose proxy does not answer follows the policy the routes carry (`on_host_down`): wait
// (bounded), skip it (it keeps the routes it had), or give up, putting back the routes of the
// hosts already changed, so that every host serves what it served before.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostSpec } from '../../core/config/types.js';
import { writeFileAtomic } from '../fs/files.js';
import type { EnvRoutes, EnvRouteStatus, MetricsSnapshot, ProxyControl, ProxyResult, ReleaseMetrics, RouteHostReport } from '../../ports/proxy.js';

/** What the fan-out needs of one host's proxy. */
export type HostProxy = Pick<ProxyControl, 'setRoutes' | 'getRoutes' | 'removeEnv' | 'inflight' | 'metricsSnapshot' | 'isAlive'>;

export interface HostsProxyOptions {
  home: string;
  /** This machine's proxy (environments without hosts). */
  local: () => Promise<ProxyControl>;
  /** The client of a host's proxy (its admin socket). */
  connect: (host: HostSpec) => HostProxy;
  /** Pause between two attempts to reach a host that is down (wait); default 500 ms. */
  retryMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The proxy port over this machine's proxy and the proxies of every environment's hosts.
 *
 * @example const proxy = hostsProxy({ home, local: () => ensureProxy(home), connect: (h) => new ProxyClient(home, { socket: h.proxy }) });
 */
export function hostsProxy(opts: HostsProxyOptions): () => Promise<ProxyControl> {
  const file = join(opts.home, 'hosts', 'routes.json');
  const envHosts = new Map<string, HostSpec[]>(existsSync(file) ? Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, HostSpec[]>) : []);
  const clients = new Map<string, HostProxy>();
  const client = (h: HostSpec): HostProxy => {
    const key = `${h.name}\0${h.proxy}`;
    let c = clients.get(key);
    if (c === undefined) clients.set(key, (c = opts.connect(h)));
    return c;
  };
  const remember = (env: string, hosts: HostSpec[] | undefined): void => {
    if (hosts === undefined ? !envHosts.has(env) : JSON.stringify(envHosts.get(env)) === JSON.stringify(hosts)) return;
    if (hosts === undefined) envHosts.delete(env);
    else envHosts.set(env, hosts);
    mkdirSync(join(opts.home, 'hosts'), { recursive: true, mode: 0o700 });
    writeFileAtomic(file, `${JSON.stringify(Object.fromEntries(envHosts), null, 2)}\n`, 0o600);
  };

  /** The routes one host's proxy gets: its own instances; null when it runs none of a release that takes traffic. */
  const routesOn = (h: HostSpec, routes: EnvRoutes): EnvRoutes | string => {
    const backends = [];
    for (const b of routes.backends) {
      const instances = b.instances.filter((i) => i.host === h.name).map((i) => ({ id: i.id, url: i.url }));
      if (instances.length > 0) backends.push({ ...b, instances });
      else if (b.weight > 0) return `it runs no instance of ${b.release}`;
    }
    const { hosts: _hosts, ...rest } = routes;
    return { ...rest, backends };
  };

  const setOnHosts = async (env: string, routes: EnvRoutes & { hosts: NonNullable<EnvRoutes['hosts']> }): Promise<ProxyResult<EnvRouteStatus>> => {
    const { list, onDown, waitMs } = routes.hosts;
    const reports: RouteHostReport[] = [];
    const done: { host: HostSpec; before: EnvRoutes | undefined }[] = [];
    let first: EnvRouteStatus | undefined;
    /** Puts back the routes of the hosts already changed (or removes the environment there). */
    const restore = async (): Promise<string> => {
      const failed: string[] = [];
      for (const d of [...done].reverse()) {
        try {
          const r = d.before === undefined ? await client(d.host).removeEnv(env) : await client(d.host).setRoutes(env, d.before);
          if (!r.ok && r.reason !== 'not_found') throw new Error(r.message);
          reports.push({ host: d.host.name, state: 'restored' });
        } catch (e) {
          failed.push(`${d.host.name}: ${messageOf(e)}`);
        }
      }
      if (done.length === 0) return 'no host was changed';
      return `routes put back on ${done.map((d) => d.host.name).join(', ')}${failed.length > 0 ? ` (failed: ${failed.join('; ')})` : ''}`;
    };
    const down = async (h: HostSpec): Promise<string | null> => ((await client(h).isAlive().catch(() => false)) ? null : `its proxy at ${h.proxy} does not answer`);
    for (const h of list) {
      const mine = routesOn(h, routes);
      if (typeof mine === 'string') {
        // Left out of the start (it was down): it keeps serving what it served.
        reports.push({ host: h.name, state: 'skipped', message: mine });
        continue;
      }
      let why = await down(h);
      if (why !== null && onDown === 'wait') {
        reports.push({ host: h.name, state: 'waiting', message: `${why}; waiting up to ${waitMs} ms (on_host_down: wait)` });
        const deadline = Date.now() + waitMs;
        while (why !== null && Date.now() < deadline) {
          await sleep(Math.min(opts.retryMs ?? 500, Math.max(1, deadline - Date.now())));
          why = await down(h);
        }
      }
      let r: ProxyResult<EnvRouteStatus> | undefined;
      if (why === null) {
        try {
          const before = (await client(h).getRoutes()).find((e) => e.env === env);
          r = await client(h).setRoutes(env, mine);
          if (r.ok) done.push({ host: h, before: before === undefined ? undefined : { port: before.port, ...(before.host === undefined ? {} : { host: before.host }), ...(before.edge === undefined ? {} : { edge: before.edge }), ...(before.domains === undefined ? {} : { domains: before.domains }), backends: before.backends } });
        } catch (e) {
          why = messageOf(e);
        }
      }
      if (why !== null) {
        reports.push({ host: h.name, state: 'down', message: why });
        if (onDown === 'skip') {
          reports.push({ host: h.name, state: 'skipped', message: 'left as it is (on_host_down: skip)' });
          continue;
        }
        const undone = await restore();
        return { ok: false, reason: 'failed', message: `host ${h.name} cannot be reached (on_host_down: ${onDown}): ${why}; ${undone}` };
      }
      if (r !== undefined && !r.ok) {
        const undone = await restore();
        return { ...r, message: `host ${h.name}: ${r.message}; ${undone}` };
      }
      reports.push({ host: h.name, state: 'routed' });
      if (r?.ok === true) first ??= r.value;
    }
    if (first === undefined) return { ok: false, reason: 'failed', message: `no host took the routes of ${env}: ${reports.map((x) => `${x.host} ${x.state}${x.message === undefined ? '' : ` (${x.message})`}`).join(', ')}` };
    return { ok: true, value: { ...first, hostReports: reports } };
  };

  /** The hosts of `env` that answer. */
  const live = async (env: string): Promise<HostProxy[]> => {
    const out: HostProxy[] = [];
    for (const h of envHosts.get(env) ?? []) if (await client(h).isAlive().catch(() => false)) out.push(client(h));
    return out;
  };

  const wrap = (inner: ProxyControl): ProxyControl => ({
    async setRoutes(env, routes) {
      if (routes.hosts === undefined) {
        remember(env, undefined);
        return inner.setRoutes(env, routes);
      }
      remember(env, routes.hosts.list);
      return setOnHosts(env, { ...routes, hosts: routes.hosts });
    },
    getRoutes: () => inner.getRoutes(),
    async removeEnv(env) {
      if (!envHosts.has(env)) return inner.removeEnv(env);
      for (const p of await live(env)) await p.removeEnv(env).catch(() => undefined);
      return { ok: true, value: null };
    },
    async inflight(env, release) {
      if (!envHosts.has(env)) return inner.inflight(env, release);
      let n = 0;
      for (const p of await live(env)) n += await p.inflight(env, release).catch(() => 0);
      return n;
    },
    async metricsSnapshot(env, since) {
      if (!envHosts.has(env)) return inner.metricsSnapshot(env, since);
      const snaps: MetricsSnapshot[] = [];
      for (const p of await live(env)) {
        const s = await p.metricsSnapshot(env, since).catch(() => null);
        if (s !== null) snaps.push(s);
      }
      return mergeSnapshots(env, snaps);
    },
    upgrade: () => inner.upgrade(),
    stop: () => inner.stop(),
    isAlive: () => inner.isAlive(),
  });
  return async () => wrap(await opts.local());
}

/** The metrics of one environment over all its hosts: counts added, samples merged in time order. */
export function mergeSnapshots(env: string, snaps: MetricsSnapshot[]): MetricsSnapshot {
  const byRelease = new Map<string, ReleaseMetrics>();
  for (const s of snaps) {
    for (const r of s.releases) {
      const m = byRelease.get(r.release);
      if (m === undefined) {
        byRelease.set(r.release, { ...r, requests: { ...r.requests }, samples: { t: [...r.samples.t], ms: [...r.samples.ms], status: [...r.samples.status] } });
        continue;
      }
      for (const k of ['total', '2xx', '3xx', '4xx', '5xx'] as const) m.requests[k] += r.requests[k];
      m.errors += r.errors;
      m.upstreamErrors += r.upstreamErrors;
      m.inflight += r.inflight;
      m.samples.t.push(...r.samples.t);
      m.samples.ms.push(...r.samples.ms);
      m.samples.status.push(...r.samples.status);
    }
  }
  for (const m of byRelease.values()) {
    const order = m.samples.t.map((_, i) => i).sort((a, b) => (m.samples.t[a] as number) - (m.samples.t[b] as number));
    m.samples = { t: order.map((i) => m.samples.t[i] as number), ms: order.map((i) => m.samples.ms[i] as number), status: order.map((i) => m.samples.status[i] as number) };
  }
  return {
    env,
    now: snaps.length === 0 ? Date.now() : Math.max(...snaps.map((s) => s.now)),
    unrouted: snaps.reduce((n, s) => n + s.unrouted, 0),
    rejected: snaps.reduce((n, s) => n + (s.rejected ?? 0), 0),
    releases: [...byRelease.values()],
  };
}
