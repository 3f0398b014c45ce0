// Prometheus as a verification provider: an instant query over the HTTP API (`/api/v1/query`)
// that must give exactly one number. Every failure — unreachable, timeout, refused query, no
// series, several series, an answer that is not Prometheus' — is a measurement in error with a
// message that says what to do, never an exception.

import { substituteQuery } from '../../core/verification/promql.js';
import type { Measurement, QueryProvider, QueryVars } from '../../ports/metrics.js';

export interface PrometheusOptions {
  /** Base URL of Prometheus, e.g. `http://127.0.0.1:9090` (a path prefix is kept). */
  url: string;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Longest a query may take (default 5 s). */
  timeoutMs?: number;
}

interface Series {
  metric?: Record<string, string>;
  value?: [number, string];
  values?: unknown;
}

const fail = (error: string): Measurement<number> => ({ ok: false, error });

/** `{job="api", release="v3"}` for messages. */
const labels = (m: Record<string, string> | undefined): string =>
  `{${Object.entries(m ?? {})
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;

/** A Prometheus sample value: a decimal, or NaN / +Inf / -Inf as Prometheus writes them. */
function sampleValue(raw: unknown, query: string): Measurement<number> {
  if (typeof raw !== 'string') return fail(`the answer to ${query} has a sample value that is not a string`);
  const v = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
  if (Number.isNaN(v)) return fail(`${query} returned NaN (no data over its range, or 0/0); guard it, e.g. with \`or vector(0)\``);
  return { ok: true, value: v };
}

/** Reads one number out of a query answer's `data`. */
export function readAnswer(body: unknown, query: string): Measurement<number> {
  if (typeof body !== 'object' || body === null) return fail('not a Prometheus API answer (no JSON object)');
  const { status, data, error, errorType } = body as { status?: unknown; data?: unknown; error?: unknown; errorType?: unknown };
  if (status === 'error') {
    return fail(`Prometheus refused ${query}: ${typeof errorType === 'string' ? `${errorType}: ` : ''}${String(error)}`);
  }
  if (status !== 'success' || typeof data !== 'object' || data === null) return fail('not a Prometheus API answer (no status and data)');
  const { resultType, result } = data as { resultType?: unknown; result?: unknown };
  switch (resultType) {
    case 'scalar':
      return Array.isArray(result) ? sampleValue(result[1], query) : fail(`malformed scalar answer to ${query}`);
    case 'vector': {
      if (!Array.isArray(result)) return fail(`malformed vector answer to ${query}`);
      const series = result as Series[];
      if (series.length === 0) {
        return fail(`${query} returned no series: check its label values (the release is labelled like "v3"), or add \`or vector(0)\` if no data means 0`);
      }
      if (series.length > 1) {
        const shown = series.slice(0, 3).map((s) => labels(s.metric)).join(', ');
        return fail(`${query} returned ${series.length} series (${shown}${series.length > 3 ? ', …' : ''}); aggregate them, e.g. sum(…), so that it returns one`);
      }
      const value = series[0]?.value;
      return Array.isArray(value) ? sampleValue(value[1], query) : fail(`malformed sample in the answer to ${query}`);
    }
    case 'matrix':
      return fail(`${query} returned a range vector; a check needs an instant value, e.g. rate(x[1m]) rather than x[1m]`);
    default:
      return fail(`${query} returned a ${String(resultType)} result; a check needs a number`);
  }
}

/** Why a fetch failed, in a few words: `ECONNREFUSED`, `ENOTFOUND`, a timeout. */
function reasonOf(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * A QueryProvider over a real Prometheus.
 * @example
 *   const prom = prometheusProvider({ url: 'http://127.0.0.1:9090' });
 *   await prom.query('sum(rate(http_errors_total{release="{{release}}"}[1m]))', { release: 'v3', env: 'production', digest })
 */
export function prometheusProvider(opts: PrometheusOptions): QueryProvider {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
  return {
    async query(template: string, vars: QueryVars): Promise<Measurement<number>> {
      const sub = substituteQuery(template, vars);
      if (!sub.ok) return fail(sub.message);
      let endpoint: URL;
      try {
        endpoint = new URL('api/v1/query', base);
      } catch {
        return fail(`the Prometheus URL "${opts.url}" is not a URL`);
      }
      endpoint.searchParams.set('query', sub.query);
      let res: Response;
      try {
        res = await doFetch(endpoint, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      } catch (err) {
        return fail(`Prometheus at ${opts.url} is unreachable: ${reasonOf(err, timeoutMs)}`);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        return fail(`Prometheus at ${opts.url} broke off its answer: ${reasonOf(err, timeoutMs)}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return fail(`Prometheus at ${opts.url} answered HTTP ${res.status} with something that is not JSON: ${text.slice(0, 80)}`);
      }
      // Prometheus answers a bad query with 400 and a JSON error body, which readAnswer explains.
      if (!res.ok && (typeof body !== 'object' || body === null || (body as { status?: unknown }).status !== 'error')) {
        return fail(`Prometheus at ${opts.url} answered HTTP ${res.status}`);
      }
      return readAnswer(body, sub.query);
    },
  };
}
