// The environments the proxy serves: each one's routes, listening server, live table and metrics.
// Changing routes opens a port if needed, persists, then swaps the table in one assignment; a port
// that cannot be opened changes nothing. Callers serialise changes (one at a time).

import type http from 'node:http';
import type net from 'node:net';
import { domainClash } from '../core/edge/domain.js';
import { describeRoute } from '../core/edge/route-key.js';
import { edgeModeOf, type EnvRouteStatus, type EnvRoutes, type MetricsSnapshot, type ProxyResult, type SharedListenerStatus } from '../ports/proxy.js';
import type { EdgeSettings } from './edge-settings.js';
import { saveRoutes } from './files.js';
import { handleRequest, type EnvRuntime, type ListenerState } from './forward.js';
import { createListener, listenOn, listenOnHandle, retire, retireQuietly, type ListenResult } from './listener.js';
import { EnvStats, ReleaseStats, type ExportedStats } from './metrics.js';
import { SharedListener } from './shared.js';
import { EMPTY_TABLE, UpstreamRegistry, buildTable, relayTable, releaseTable } from './table.js';

export const DEFAULT_HOST = '127.0.0.1';

interface Listener {
  readonly state: ListenerState;
  readonly server: http.Server;
}

interface EnvEntry {
  readonly runtime: EnvRuntime;
  routes: EnvRoutes & { host: string };
  /** The server while it listens. */
  listener: Listener | null;
  /** A server prepared at start, not listening yet. */
  pending?: Listener;
  /** Why the port is not open (at start, when it was taken meanwhile). */
  error?: string;
}

/** The server of a shared listener and how it stops (plain HTTP here; HTTPS in tls/server.ts). */
export interface SharedServer {
  server: net.Server;
  /** Stops accepting and closes connections once idle (after `idleGraceMs`). */
  retire(idleGraceMs?: number): Promise<void>;
  /** After a hand-over: stops accepting, lets busy connections finish; `onDeadline` asks them to close. */
  retireQuietly(onDeadline: () => void): Promise<void>;
}

const plainShared = (l: SharedListener): SharedServer => {
  const server = createListener(l.handler);
  return { server, retire: (ms) => retire(server, ms), retireQuietly: (onDeadline) => retireQuietly(server, onDeadline) };
};

/** The key of the misdirected-request count among the exported stats (not an environment name). */
const MISDIRECTED_KEY = ':misdirected';

/** Metrics carried over to a successor process at an upgrade. */
export type ExportedEnvStats = Record<string, { unrouted: number; rejected?: number; releases: ExportedStats[] }>;

export class EnvRegistry {
  private readonly envs = new Map<string, EnvEntry>();
  private readonly upstreams = new UpstreamRegistry();
  private imported: ExportedEnvStats = {};
  private prepared = false;
  /** The shared listeners routed by Host, with their servers (not listening until listenRest). */
  private readonly shared: (SharedServer & { listener: SharedListener; pending: boolean })[] = [];
  private misdirectedBefore = 0;

  constructor(
    private readonly home: string,
    /** The admin port, which no environment may take. */
    private readonly reservedPort: () => number,
  ) {}

  get size(): number {
    return this.envs.size;
  }

  /**
   * Creates the persisted environments with their tables and servers, and the shared listeners of
   * `edge`, not listening yet (at an upgrade, so that a handed-over socket can be served the moment
   * it arrives). Once only. `serverOf` makes the server of a shared listener.
   */
  prepare(routes: ReadonlyMap<string, EnvRoutes>, edge: EdgeSettings = {}, serverOf: (l: SharedListener) => SharedServer = plainShared): void {
    if (this.prepared) return;
    this.prepared = true;
    for (const [name, r] of routes) {
      const entry = this.createEntry(name, { ...r, host: r.host ?? DEFAULT_HOST });
      entry.pending = this.createListener(entry.runtime);
      entry.runtime.table = buildTable(entry.routes, this.upstreams, entry.runtime.stats);
      this.envs.set(name, entry);
    }
    for (const name of ['http', 'https'] as const) {
      const address = edge[name];
      if (!address) continue;
      const listener = new SharedListener(name, address);
      this.shared.push({ ...serverOf(listener), listener, pending: true });
    }
    this.refreshHosts();
  }

  /** The shared listeners (for the TLS side to attach to). */
  sharedListeners(): readonly SharedListener[] {
    return this.shared.map((s) => s.listener);
  }

  /** Serves a prepared environment (or shared listener, `:http`/`:https`) on its predecessor's socket. */
  adopt(env: string, handle: net.Server): Promise<void> {
    if (env.startsWith(':')) {
      const s = this.shared.find((x) => `:${x.listener.name}` === env && x.pending);
      const bound = handle.address();
      // Listening elsewhere than now configured (`slipway proxy listen` changed it): opened afresh.
      const same = s !== undefined && typeof bound === 'object' && bound !== null && bound.port === s.listener.address.port && bound.address === s.listener.address.host;
      if (!s || !same) {
        handle.close();
        return Promise.resolve();
      }
      s.pending = false;
      return listenOnHandle(s.server, handle).then((r) => this.settleShared(s.listener, r));
    }
    const entry = this.envs.get(env);
    const l = entry?.pending;
    if (!entry || !l) {
      handle.close(); // not ours (routes.json changed under us): let the predecessor's copy be the last
      return Promise.resolve();
    }
    entry.pending = undefined;
    return listenOnHandle(l.server, handle).then((r) => this.settle(entry, l, r));
  }

  /** Opens the port of every prepared environment that was not handed a socket. */
  async listenRest(): Promise<void> {
    for (const entry of this.envs.values()) {
      const l = entry.pending;
      if (!l) continue;
      entry.pending = undefined;
      this.settle(entry, l, await listenOn(l.server, entry.routes.port, entry.routes.host));
    }
    for (const s of this.shared) {
      if (!s.pending) continue;
      s.pending = false;
      this.settleShared(s.listener, await listenOn(s.server, s.listener.address.port, s.listener.address.host));
    }
  }

  private settleShared(l: SharedListener, r: ListenResult): void {
    l.listening = r.ok;
    l.error = r.ok ? undefined : r.message;
  }

  /** The shared listeners' state, for the health answer. */
  sharedStatus(): SharedListenerStatus[] {
    return this.shared.map((s) => s.listener.status());
  }

  /** Requests for hosts no environment claims, on every shared listener (carried over upgrades). */
  get misdirected(): number {
    return this.shared.reduce((n, s) => n + s.listener.misdirected, this.misdirectedBefore);
  }

  /** Gives every shared listener the domains of every environment. */
  private refreshHosts(): void {
    const routes: [string, EnvRuntime][] = [];
    for (const e of this.envs.values()) for (const d of e.routes.domains ?? []) routes.push([d, e.runtime]);
    for (const s of this.shared) s.listener.setRoutes(routes);
  }

  /** Sets up and opens the persisted environments (a normal start). */
  async open(routes: ReadonlyMap<string, EnvRoutes>): Promise<void> {
    this.prepare(routes);
    await this.listenRest();
  }

  private settle(entry: EnvEntry, l: Listener, r: ListenResult): void {
    if (r.ok) entry.listener = l;
    else entry.error = r.message;
  }

  /** Replaces an environment's routes (see ProxyControl.setRoutes). */
  async set(env: string, input: EnvRoutes): Promise<ProxyResult<EnvRouteStatus>> {
    const routes = { ...input, host: input.host ?? DEFAULT_HOST };
    const clash = this.portClash(env, routes.port, routes.host);
    if (clash) return { ok: false, reason: 'port_taken', message: clash };
    const claimed = domainClash(env, routes.domains ?? [], this.domainClaims());
    if (claimed) return { ok: false, reason: 'domain_taken', message: claimed };
    const existing = this.envs.get(env);
    const entry = existing ?? this.createEntry(env, routes);
    let opened: Listener | null = null;
    const samePort = existing?.listener && existing.routes.port === routes.port && existing.routes.host === routes.host;
    if (!samePort) {
      opened = this.createListener(entry.runtime);
      const result = await listenOn(opened.server, routes.port, routes.host);
      if (!result.ok) {
        return { ok: false, reason: result.taken ? 'port_taken' : 'failed', message: result.message };
      }
    }
    const next = new Map(this.routesMap());
    next.set(env, routes);
    try {
      saveRoutes(this.home, next);
    } catch (err) {
      if (opened) void retire(opened.server, 0, 0);
      return { ok: false, reason: 'failed', message: `could not save routes: ${(err as Error).message}` };
    }
    // The switch itself: one assignment; requests already dispatched keep their backend.
    const old = entry.runtime.table;
    entry.runtime.table = buildTable(routes, this.upstreams, entry.runtime.stats);
    releaseTable(old, this.upstreams);
    entry.routes = routes;
    entry.runtime.edge = edgeModeOf(routes);
    if (opened) {
      const previous = entry.listener;
      entry.listener = opened;
      delete entry.error;
      if (previous) void this.retireListener(previous);
    }
    this.envs.set(env, entry);
    this.refreshHosts();
    entry.runtime.stats.prune(new Set(routes.backends.map((b) => b.release)));
    return { ok: true, value: this.statusOf(env, entry) };
  }

  /** Forgets an environment and closes its port; its in-flight requests finish. */
  remove(env: string): ProxyResult<null> {
    const entry = this.envs.get(env);
    if (!entry) return { ok: false, reason: 'not_found', message: `no ${describeRoute(env)}` };
    const next = new Map(this.routesMap());
    next.delete(env);
    try {
      saveRoutes(this.home, next);
    } catch (err) {
      return { ok: false, reason: 'failed', message: `could not save routes: ${(err as Error).message}` };
    }
    this.envs.delete(env);
    this.refreshHosts();
    const old = entry.runtime.table;
    entry.runtime.table = EMPTY_TABLE;
    releaseTable(old, this.upstreams);
    if (entry.listener) void this.retireListener(entry.listener);
    return { ok: true, value: null };
  }

  status(): EnvRouteStatus[] {
    return [...this.envs].sort(([a], [b]) => a.localeCompare(b)).map(([name, e]) => this.statusOf(name, e));
  }

  inflight(env: string, release: string): number | undefined {
    return this.envs.get(env)?.runtime.stats.releases.get(release)?.inflight ?? (this.envs.has(env) ? 0 : undefined);
  }

  metrics(env: string, since?: number): MetricsSnapshot | undefined {
    const entry = this.envs.get(env);
    if (!entry) return undefined;
    const stats = entry.runtime.stats;
    return {
      env,
      now: Date.now(),
      unrouted: stats.unrouted,
      rejected: stats.rejected,
      releases: [...stats.releases.values()].map((s) => s.snapshot(since)),
    };
  }

  /** Every environment's stats, for the Prometheus exposition. */
  allStats(): Map<string, EnvStats> {
    return new Map([...this.envs].map(([name, e]) => [name, e.runtime.stats]));
  }

  /** The listening servers to hand to a successor, by environment. */
  servers(): Map<string, net.Server> {
    const out = new Map<string, net.Server>();
    for (const [name, e] of this.envs) if (e.listener?.server.listening) out.set(name, e.listener.server);
    for (const s of this.shared) if (s.server.listening) out.set(`:${s.listener.name}`, s.server);
    return out;
  }

  exportStats(): ExportedEnvStats {
    const out: ExportedEnvStats = { [MISDIRECTED_KEY]: { unrouted: this.misdirected, releases: [] } };
    for (const [name, e] of this.envs) {
      out[name] = { unrouted: e.runtime.stats.unrouted, rejected: e.runtime.stats.rejected, releases: [...e.runtime.stats.releases.values()].map((s) => s.export()) };
    }
    return out;
  }

  /** Stats from a predecessor, picked up by `open` for the environments it creates. */
  importStats(stats: ExportedEnvStats): void {
    this.imported = stats;
    this.misdirectedBefore = stats[MISDIRECTED_KEY]?.unrouted ?? 0;
  }

  /** Retires every listener (draining), then closes the upstream pools. */
  async retireAll(idleGraceMs?: number): Promise<void> {
    const listeners = [...this.envs.values()].flatMap((e) => (e.listener ? [e.listener] : []));
    for (const s of this.shared) s.listener.drain();
    await Promise.all([...listeners.map((l) => this.retireListener(l, idleGraceMs)), ...this.shared.map((s) => s.retire(idleGraceMs))]);
    await this.upstreams.closeAll();
  }

  /**
   * After a hand-over: requests still arriving on this process's open connections are relayed to
   * the successor on the same port (which now alone accepts there), so the switch stays atomic and
   * no busy connection is closed under a client. Resolves when every connection is gone.
   * (Relayed requests reach the app with one more `X-Forwarded-For` hop: this process's address.)
   */
  async relayAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    const relays: { close(): Promise<void> }[] = [];
    for (const e of this.envs.values()) {
      if (!e.listener) continue;
      const host = e.routes.host === '0.0.0.0' ? '127.0.0.1' : e.routes.host === '::' ? '::1' : e.routes.host;
      const origin = host.includes(':') ? `http://[${host}]:${e.routes.port}` : `http://${host}:${e.routes.port}`;
      const relay = relayTable(origin, new ReleaseStats('(successor)'));
      const old = e.runtime.table;
      e.runtime.table = relay.table;
      releaseTable(old, this.upstreams);
      relays.push(relay.upstream.pool);
      const state = e.listener.state;
      waits.push(retireQuietly(e.listener.server, () => (state.draining = true)));
    }
    // The shared listeners route to the same runtimes, whose tables now relay to the successor.
    for (const s of this.shared) if (s.server.listening) waits.push(s.retireQuietly(() => s.listener.drain()));
    await Promise.all(waits);
    await Promise.all([...relays.map((p) => p.close().catch(() => undefined)), this.upstreams.closeAll()]);
  }

  private retireListener(l: Listener, idleGraceMs?: number): Promise<void> {
    l.state.draining = true;
    return retire(l.server, idleGraceMs);
  }

  private createEntry(name: string, routes: EnvRoutes & { host: string }): EnvEntry {
    const stats = new EnvStats();
    const carried = this.imported[name];
    if (carried) {
      stats.unrouted = carried.unrouted;
      stats.rejected = carried.rejected ?? 0;
      for (const r of carried.releases) stats.releases.set(r.release, ReleaseStats.import(r));
    }
    return { runtime: { name, table: EMPTY_TABLE, stats, edge: edgeModeOf(routes) }, routes, listener: null };
  }

  private createListener(runtime: EnvRuntime): Listener {
    const state: ListenerState = { env: runtime, draining: false };
    return { state, server: createListener((req, res) => handleRequest(state, req, res)) };
  }

  private portClash(env: string, port: number, host: string): string | undefined {
    if (port === this.reservedPort()) return `port ${port} is the proxy's admin port`;
    for (const [name, e] of this.envs) {
      if (name === env || e.routes.port !== port) continue;
      if (e.routes.host === host || e.routes.host === '0.0.0.0' || host === '0.0.0.0') {
        return `port ${port} is already used by ${describeRoute(name)}`;
      }
    }
    return undefined;
  }

  private domainClaims(): Map<string, string> {
    const claims = new Map<string, string>();
    for (const [name, e] of this.envs) for (const d of e.routes.domains ?? []) claims.set(d, name);
    return claims;
  }

  private routesMap(): Map<string, EnvRoutes> {
    return new Map([...this.envs].map(([name, e]) => [name, e.routes]));
  }

  private statusOf(env: string, e: EnvEntry): EnvRouteStatus {
    const s: EnvRouteStatus = { env, port: e.routes.port, host: e.routes.host, edge: e.runtime.edge, backends: e.routes.backends, listening: e.listener !== null };
    if (e.routes.domains !== undefined) s.domains = e.routes.domains;
    if (e.error !== undefined) s.error = e.error;
    return s;
  }
}
