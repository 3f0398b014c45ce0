// Per-release request metrics kept by the data plane: status-class counts, a latency histogram for
// Prometheus, and a ring buffer of raw recent samples that verification reads without scrape delay.
// Recording a request is a handful of array writes: it runs on every proxied request.

import type { LatencySamples, ReleaseMetrics } from '../ports/proxy.js';

/** Histogram bucket bounds in seconds: fine from 1 ms to 10 s (Prometheus `le`). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3,
  5, 7.5, 10,
];
/** Same bounds in ms, for the hot path. */
const BOUNDS_MS = LATENCY_BUCKETS.map((s) => s * 1000);

/** Raw samples kept per release. */
export const RING_SIZE = 10_000;

/** Counters and samples of one release in one environment. */
export class ReleaseStats {
  /** Index 0 = 1xx/other, 1 = 2xx, 2 = 3xx, 3 = 4xx, 4 = 5xx. */
  readonly classes = [0, 0, 0, 0, 0];
  /** Non-cumulative bucket counts; the last slot is +Inf. */
  readonly buckets = new Array<number>(BOUNDS_MS.length + 1).fill(0);
  sumMs = 0;
  count = 0;
  upstreamErrors = 0;
  inflight = 0;
  private readonly ringT = new Float64Array(RING_SIZE);
  private readonly ringMs = new Float64Array(RING_SIZE);
  private readonly ringStatus = new Uint16Array(RING_SIZE);
  /** Total samples ever written; the next slot is `written % RING_SIZE`. */
  private written = 0;

  constructor(readonly release: string) {}

  /** Records one finished request. `t` is its completion time in ms since the epoch. */
  record(status: number, ms: number, t: number): void {
    const cls = (status / 100) | 0;
    this.classes[cls >= 2 && cls <= 5 ? cls - 1 : 0]!++;
    let i = 0;
    while (i < BOUNDS_MS.length && ms > BOUNDS_MS[i]!) i++;
    this.buckets[i]!++;
    this.sumMs += ms;
    this.count++;
    const slot = this.written % RING_SIZE;
    this.ringT[slot] = t;
    this.ringMs[slot] = ms;
    this.ringStatus[slot] = status;
    this.written++;
  }

  /** Raw samples completed at or after `since` (ms epoch), oldest first. */
  samples(since = 0): LatencySamples {
    const out: LatencySamples = { t: [], ms: [], status: [] };
    const n = Math.min(this.written, RING_SIZE);
    const start = this.written - n;
    for (let k = start; k < this.written; k++) {
      const slot = k % RING_SIZE;
      const t = this.ringT[slot]!;
      if (t < since) continue;
      out.t.push(Math.round(t));
      out.ms.push(Math.round(this.ringMs[slot]! * 1000) / 1000);
      out.status.push(this.ringStatus[slot]!);
    }
    return out;
  }

  snapshot(since?: number): ReleaseMetrics {
    const [, c2, c3, c4, c5] = this.classes as [number, number, number, number, number];
    return {
      release: this.release,
      requests: { total: this.count, '2xx': c2, '3xx': c3, '4xx': c4, '5xx': c5 },
      errors: c5,
      upstreamErrors: this.upstreamErrors,
      inflight: this.inflight,
      samples: this.samples(since),
    };
  }

  /** A plain copy for handing over to a new proxy process (upgrade). */
  export(): ExportedStats {
    const s = this.samples();
    return {
      release: this.release,
      classes: [...this.classes],
      buckets: [...this.buckets],
      sumMs: this.sumMs,
      count: this.count,
      upstreamErrors: this.upstreamErrors,
      t: s.t,
      ms: s.ms,
      status: s.status,
    };
  }

  static import(e: ExportedStats): ReleaseStats {
    const r = new ReleaseStats(e.release);
    if (e.classes.length === r.classes.length) e.classes.forEach((v, i) => (r.classes[i] = v));
    if (e.buckets.length === r.buckets.length) e.buckets.forEach((v, i) => (r.buckets[i] = v));
    r.sumMs = e.sumMs;
    r.count = e.count;
    r.upstreamErrors = e.upstreamErrors;
    const n = Math.min(e.t.length, e.ms.length, e.status.length);
    for (let k = Math.max(0, n - RING_SIZE); k < n; k++) {
      const slot = r.written % RING_SIZE;
      r.ringT[slot] = e.t[k]!;
      r.ringMs[slot] = e.ms[k]!;
      r.ringStatus[slot] = e.status[k]!;
      r.written++;
    }
    return r;
  }
}

export interface ExportedStats {
  release: string;
  classes: number[];
  buckets: number[];
  sumMs: number;
  count: number;
  upstreamErrors: number;
  t: number[];
  ms: number[];
  status: number[];
}

/** Most releases whose stats an environment keeps; the oldest not routed are forgotten first. */
export const MAX_RELEASES_KEPT = 8;

/** The stats of every release of one environment. */
export class EnvStats {
  readonly releases = new Map<string, ReleaseStats>();
  /** Requests answered 503 because no backend was routed. */
  unrouted = 0;
  /** Requests the client got wrong (two Host headers, a header or path undici refuses): 400, no release's. */
  rejected = 0;

  /** The stats of `release`, created on first use. */
  of(release: string): ReleaseStats {
    let s = this.releases.get(release);
    if (!s) {
      s = new ReleaseStats(release);
      this.releases.set(release, s);
    }
    return s;
  }

  /** Forgets the oldest releases beyond the cap, never one that is routed or has requests in flight. */
  prune(routed: ReadonlySet<string>): void {
    if (this.releases.size <= MAX_RELEASES_KEPT) return;
    for (const [name, s] of this.releases) {
      if (this.releases.size <= MAX_RELEASES_KEPT) break;
      if (!routed.has(name) && s.inflight === 0) this.releases.delete(name);
    }
  }
}
