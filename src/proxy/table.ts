// The routing table of one environment: an immutable object built from its routes and swapped whole,
// so each request sees one consistent table. Choosing a backend is a weighted draw, then the
// instance with the fewest requests in flight (round-robin among equals).

import { Pool } from 'undici';
import type { EnvRoutes } from '../ports/proxy.js';
import type { EnvStats, ReleaseStats } from './metrics.js';

/** One upstream origin and its connection pool, shared by every table that routes to it. */
export class Upstream {
  readonly pool: Pool;
  inflight = 0;
  /** Tables referring to this upstream; the pool closes when none do. */
  refs = 0;
  constructor(readonly url: string) {
    // Upstream keep-alive was worth 3.4× here (REFERENCE.md); pipelining 1 keeps one slow response
    // from holding up another.
    this.pool = new Pool(url, { pipelining: 1, connections: 1024 });
  }
}

/** Pools by origin, reference-counted across tables. */
export class UpstreamRegistry {
  private readonly byUrl = new Map<string, Upstream>();

  acquire(url: string): Upstream {
    let u = this.byUrl.get(url);
    if (!u) {
      u = new Upstream(url);
      this.byUrl.set(url, u);
    }
    u.refs++;
    return u;
  }

  /** Drops one reference; the last one closes the pool once its queued requests finish. */
  release(u: Upstream): void {
    if (--u.refs > 0) return;
    if (this.byUrl.get(u.url) === u) this.byUrl.delete(u.url);
    u.pool.close().catch(() => undefined);
  }

  /** Closes every pool (at exit), letting queued requests finish. */
  async closeAll(): Promise<void> {
    const pools = [...this.byUrl.values()].map((u) => u.pool.close().catch(() => undefined));
    this.byUrl.clear();
    await Promise.all(pools);
  }
}

export interface RouteInstance {
  readonly id: string;
  readonly upstream: Upstream;
}

export interface RouteBackend {
  readonly release: string;
  readonly weight: number;
  /** Upper bound of this backend's slice of [0, total) among the chosen backends. */
  readonly cumulative: number;
  readonly instances: readonly RouteInstance[];
  readonly stats: ReleaseStats;
  /** Round-robin cursor: the one mutable field, harmless to share. */
  rr: number;
}

export interface RouteTable {
  /** Every backend, weight 0 included (kept warm, drained, never chosen). */
  readonly backends: readonly RouteBackend[];
  /** Backends with a weight above 0, in order, with cumulative bounds. */
  readonly chosen: readonly RouteBackend[];
  readonly total: number;
}

export const EMPTY_TABLE: RouteTable = { backends: [], chosen: [], total: 0 };

/** Builds the table for `routes`, taking a reference on each upstream. */
export function buildTable(routes: EnvRoutes, registry: UpstreamRegistry, stats: EnvStats): RouteTable {
  const backends: RouteBackend[] = [];
  const chosen: RouteBackend[] = [];
  let total = 0;
  for (const b of routes.backends) {
    const instances = b.instances.map((i) => ({ id: i.id, upstream: registry.acquire(i.url) }));
    if (b.weight > 0) total += b.weight;
    const backend: RouteBackend = {
      release: b.release,
      weight: b.weight,
      cumulative: total,
      instances,
      stats: stats.of(b.release),
      rr: 0,
    };
    backends.push(backend);
    if (b.weight > 0) chosen.push(backend);
  }
  return { backends, chosen, total };
}

/**
 * The table of a replaced process: every request goes to its successor, listening on the same
 * port, which routes it with the current table. Used on keep-alive connections that were open at
 * the hand-over, so that they need not be closed while busy (see EnvRegistry.relayAll).
 */
export function relayTable(successorUrl: string, stats: ReleaseStats): { table: RouteTable; upstream: Upstream } {
  const upstream = new Upstream(successorUrl);
  const backend: RouteBackend = {
    release: stats.release,
    weight: 1,
    cumulative: 1,
    instances: [{ id: 'successor', upstream }],
    stats,
    rr: 0,
  };
  return { table: { backends: [backend], chosen: [backend], total: 1 }, upstream };
}

/** Gives back the references `table` holds (after it has been replaced). */
export function releaseTable(table: RouteTable, registry: UpstreamRegistry): void {
  for (const b of table.backends) for (const i of b.instances) registry.release(i.upstream);
}

/** The backend for a new request: a weighted draw (`draw` in [0, 1)), undefined when none. */
export function pickBackend(table: RouteTable, draw: number): RouteBackend | undefined {
  const chosen = table.chosen;
  if (chosen.length <= 1) return chosen[0];
  const x = draw * table.total;
  for (let i = 0; i < chosen.length; i++) if (x < chosen[i]!.cumulative) return chosen[i];
  return chosen[chosen.length - 1];
}

/**
 * The instance with the fewest requests in flight, starting the scan at the round-robin cursor so
 * equals take turns; `avoid` (an instance that just failed) is skipped when there is another.
 */
export function pickInstance(backend: RouteBackend, avoid?: Upstream): RouteInstance {
  const list = backend.instances;
  const n = list.length;
  if (n === 1) return list[0]!;
  const start = backend.rr++ % n;
  if (backend.rr > 1e9) backend.rr = 0;
  let best: RouteInstance | undefined;
  for (let k = 0; k < n; k++) {
    const inst = list[(start + k) % n]!;
    if (inst.upstream === avoid) continue;
    if (best === undefined || inst.upstream.inflight < best.upstream.inflight) best = inst;
  }
  return best ?? list[start]!;
}
