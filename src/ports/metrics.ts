// The metrics port: what verification needs measured. Providers only measure; the analysis in
// core/verification decides. Contract for every provider:
// - A provider never throws for a failed measurement (unreachable, refused, malformed answer): it
//   returns `{ ok: false, error }`, a measurement in error that the analysis counts against its
//   own consecutive-error limit. Only a programming error throws.
// - Every count is cumulative since the `since` the provider was given (the start of the window),
//   so that a look after a restart of the control plane sees the same data as before it.
// - A provider that keeps state between calls (offsets in log files, crash counts) can hand it out
//   as plain JSON (`cursor()`) and be recreated from it, so that nothing is counted twice.

import type { EventCount, Measurement, RequestSamples } from '../core/verification/types.js';

export type { EventCount, Measurement, RequestSamples };

/** Raw request samples per release, from the edge proxy (no scrape delay). */
export interface RequestsProvider {
  /**
   * Samples of each of `releases` (proxy labels such as `v3`) in `env` completed at or after
   * `since` (ms epoch). A release that has had no request yet gets an empty sample.
   */
  requests(env: string, releases: readonly string[], since: number): Promise<Record<string, Measurement<RequestSamples>>>;
}

/**
 * Values substituted into a query: `{{release}}` → `v3`, `{{env}}`, `{{digest}}`, and `{{app}}`:
 * the app's name on a server, empty in local mode (so `app="{{app}}"` selects the proxy's series
 * of this app either way).
 */
export interface QueryVars {
  app?: string;
  release: string;
  env: string;
  digest: string;
}

/** One number from a query language (PromQL over Prometheus' HTTP API). */
export interface QueryProvider {
  /** Runs `query` (placeholders substituted) as an instant query; exactly one series or a scalar. */
  query(query: string, vars: QueryVars): Promise<Measurement<number>>;
}

/** Counts events (error lines, crashes) since the provider's start time. */
export interface EventCounter<Cursor = unknown> {
  count(): Promise<Measurement<EventCount>>;
  /** Plain JSON to recreate the counter from, after a restart, without counting anything twice. */
  cursor(): Cursor;
  /** Stops listening (for counters fed by events); idempotent. */
  close(): void;
}
