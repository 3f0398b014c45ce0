// Writes the proxy's metrics in the Prometheus text exposition format (version 0.0.4), by hand:
// four families labelled by environment and release, plus the unrouted-request counter. The
// routes of a server's apps (route key `<app>.<env>`) carry an `app` label too; a local mode's
// have none, so `app=""` in a query selects them (PromQL's empty label matches an absent one).

import { parseRouteKey } from '../core/edge/route-key.js';
import { LATENCY_BUCKETS, type EnvStats } from './metrics.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const CLASS_LABELS = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** Escapes a label value as the format requires: backslash, double quote and newline. */
export const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Formats a number the way Prometheus parses it. */
const num = (v: number): string => (v === Infinity ? '+Inf' : String(v));

/** `env="staging"`, or `app="shop",env="staging"` for the route key `shop.staging`. */
export const routeLabels = (key: string): string => {
  const k = parseRouteKey(key);
  if (!k.ok || k.value.app === undefined) return `env="${escapeLabel(key)}"`;
  return `app="${escapeLabel(k.value.app)}",env="${escapeLabel(k.value.env)}"`;
};

/** The exposition of every environment's stats, keyed by route key. */
export function renderPrometheus(envs: ReadonlyMap<string, EnvStats>): string {
  const requests: string[] = [];
  const duration: string[] = [];
  const inflight: string[] = [];
  const upstream: string[] = [];
  const unrouted: string[] = [];
  const rejected: string[] = [];
  for (const [env, stats] of envs) {
    const e = routeLabels(env);
    unrouted.push(`slipway_proxy_unrouted_requests_total{${e}} ${stats.unrouted}`);
    rejected.push(`slipway_proxy_rejected_requests_total{${e}} ${stats.rejected}`);
    for (const s of stats.releases.values()) {
      const labels = `${e},release="${escapeLabel(s.release)}"`;
      s.classes.forEach((n, i) => {
        if (i === 0 && n === 0) return; // 1xx/other is rare: shown only when it happened
        requests.push(`slipway_proxy_requests_total{${labels},code="${CLASS_LABELS[i]}"} ${n}`);
      });
      let cumulative = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        duration.push(`slipway_proxy_request_duration_seconds_bucket{${labels},le="${num(LATENCY_BUCKETS[i]!)}"} ${cumulative}`);
      }
      duration.push(`slipway_proxy_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
      duration.push(`slipway_proxy_request_duration_seconds_sum{${labels}} ${num(s.sumMs / 1000)}`);
      duration.push(`slipway_proxy_request_duration_seconds_count{${labels}} ${s.count}`);
      inflight.push(`slipway_proxy_inflight_requests{${labels}} ${s.inflight}`);
      upstream.push(`slipway_proxy_upstream_errors_total{${labels}} ${s.upstreamErrors}`);
    }
  }
  return [
    '# HELP slipway_proxy_requests_total Requests answered, by app (on a server), environment, release and status class.',
    '# TYPE slipway_proxy_requests_total counter',
    ...requests,
    '# HELP slipway_proxy_request_duration_seconds Time from request received to response finished.',
    '# TYPE slipway_proxy_request_duration_seconds histogram',
    ...duration,
    '# HELP slipway_proxy_inflight_requests Requests being proxied now.',
    '# TYPE slipway_proxy_inflight_requests gauge',
    ...inflight,
    '# HELP slipway_proxy_upstream_errors_total Upstream connection failures after retry.',
    '# TYPE slipway_proxy_upstream_errors_total counter',
    ...upstream,
    '# HELP slipway_proxy_unrouted_requests_total Requests answered 503 because no backend was routed.',
    '# TYPE slipway_proxy_unrouted_requests_total counter',
    ...unrouted,
    '# HELP slipway_proxy_rejected_requests_total Requests answered 400 because the client sent them malformed (counted against no release).',
    '# TYPE slipway_proxy_rejected_requests_total counter',
    ...rejected,
    '',
  ].join('\n');
}
