// The verification window as a time series, for the dashboard's chart: the release's requests cut
// into buckets of one interval each, with each bucket's request count, error rate and latency
// percentiles. Computed from the same raw samples the analysis judges (cumulative since the
// window began), so the chart shows exactly what the verdict rested on.
import { percentiles } from '../stats/index.js';
import { isError } from './requests.js';
import type { RequestSamples } from './types.js';

/** One bucket of the window: [at, at + interval). Latencies are null for a bucket with no request. */
export interface SeriesPoint {
  /** Start of the bucket, ms since the epoch. */
  at: number;
  requests: number;
  errors: number;
  /** errors / requests; null without requests. */
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** Enough buckets for any window a person reads on a chart; longer windows get wider buckets. */
export const MAX_POINTS = 600;

/**
 * The samples from `windowStart` on, in buckets of `intervalMs` (widened so that there are at
 * most MAX_POINTS), up to the last sample or `until`, whichever is later. Samples before the
 * window are left out.
 */
export const requestSeries = (samples: RequestSamples, windowStart: number, intervalMs: number, until?: number): SeriesPoint[] => {
  const n = Math.min(samples.t.length, samples.ms.length, samples.status.length);
  let end = until ?? windowStart;
  for (let i = 0; i < n; i++) end = Math.max(end, samples.t[i] ?? 0);
  const span = Math.max(0, end - windowStart);
  const width = Math.max(1, intervalMs, Math.ceil(span / MAX_POINTS));
  const count = Math.min(MAX_POINTS, Math.floor(span / width) + 1);
  const buckets = Array.from({ length: count }, () => ({ ms: [] as number[], errors: 0 }));
  for (let i = 0; i < n; i++) {
    const t = samples.t[i] ?? 0;
    if (t < windowStart) continue;
    const b = buckets[Math.min(count - 1, Math.floor((t - windowStart) / width))];
    if (!b) continue;
    b.ms.push(samples.ms[i] ?? 0);
    if (isError(samples.status[i] ?? 0)) b.errors++;
  }
  return buckets.map((b, i) => {
    const [p50, p95, p99] = b.ms.length > 0 ? percentiles(b.ms, [50, 95, 99]) : [];
    return {
      at: windowStart + i * width,
      requests: b.ms.length,
      errors: b.errors,
      errorRate: b.ms.length > 0 ? b.errors / b.ms.length : null,
      p50Ms: p50 ?? null,
      p95Ms: p95 ?? null,
      p99Ms: p99 ?? null,
    };
  });
};
