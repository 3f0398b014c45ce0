// Outgoing webhooks on deployment outcomes (succeeded, failed, rolled_back): a JSON body signed
// with HMAC-SHA256, POSTed to every subscribed URL, retried with exponential backoff. `notify`
// returns at once; deliveries run in the background, so a slow or dead receiver never holds up a
// deployment. `drain` waits for them (tests, shutdown); `close` abandons the waits.

import { randomUUID } from 'node:crypto';
import type { NotificationSpec } from '../../config/types.js';
import { SIGNATURE_HEADER, signBody } from '../../core/webhooks/signature.js';
import { noticeBody, type DeploymentNotice } from './body.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  attempts: number;
  /** Wait before the second attempt; doubled after each (default 4 s: 4 + 8 + 16 + 32 s ≈ 1 min). */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 4000 };

/** Deliveries waiting or in flight beyond which new ones are dropped (and reported as such). */
export const MAX_PENDING = 1000;

export interface DeliveryResult {
  url: string;
  event: DeploymentNotice['event'];
  /** Same on every attempt of one delivery (`X-Slipway-Delivery`), so a receiver can drop repeats. */
  delivery: string;
  ok: boolean;
  attempts: number;
  /** HTTP status of the last attempt, when one answered. */
  status?: number;
  error?: string;
}

export interface NotifierOptions {
  targets: readonly NotificationSpec[];
  /** The value of a server environment variable named by `secret_env` (e.g. `(n) => process.env[n]`). */
  resolveSecret: (name: string) => string | undefined;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  /** Longest one attempt may take (default 10 s). */
  timeoutMs?: number;
  /** Each finished delivery, for the audit trail. */
  onResult?: (r: DeliveryResult) => void;
  /** ms since the epoch, for `sent_at`. */
  now?: () => number;
}

export interface Notifier {
  /** Queues the notice for every target subscribed to its event; never waits, never throws. */
  notify(notice: DeploymentNotice): void;
  /** Deliveries waiting or in flight. */
  pending(): number;
  /** Resolves when every delivery (including ones queued meanwhile) has finished; their results. */
  drain(): Promise<DeliveryResult[]>;
  /** Abandons waiting retries (in-flight attempts finish); later notices are dropped. */
  close(): Promise<void>;
}

/** 5xx, 408, 429 and network failures are worth another try; other answers will not change. */
const retriable = (status: number): boolean => status >= 500 || status === 408 || status === 429;

export function createNotifier(opts: NotifierOptions): Notifier {
  const doFetch = opts.fetch ?? fetch;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const inFlight = new Set<Promise<DeliveryResult>>();
  const finished: DeliveryResult[] = [];
  const closing = new AbortController();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      // Closed while an attempt was in flight: its answer comes after the abort event, which
      // would never fire again, so the backoff must not start at all.
      if (closing.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        closing.signal.removeEventListener('abort', done);
        resolve();
      }
      closing.signal.addEventListener('abort', done);
    });

  async function deliver(target: NotificationSpec, notice: DeploymentNotice, body: string): Promise<DeliveryResult> {
    const delivery = randomUUID();
    const base = { url: target.url, event: notice.event, delivery };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'slipway-notify',
      'x-slipway-event': notice.event,
      'x-slipway-delivery': delivery,
    };
    if (target.secretEnv !== undefined) {
      const secret = opts.resolveSecret(target.secretEnv);
      if (secret === undefined || secret === '') {
        return { ...base, ok: false, attempts: 0, error: `the variable ${target.secretEnv} (secret_env) is not set on the server; nothing sent unsigned` };
      }
      headers[SIGNATURE_HEADER.toLowerCase()] = signBody(secret, body);
    }
    let last: Omit<DeliveryResult, keyof typeof base | 'attempts'> = { ok: false, error: 'not sent' };
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      if (attempt > 1) {
        await sleep(retry.baseDelayMs * 2 ** (attempt - 2));
        if (closing.signal.aborted) return { ...base, ...last, attempts: attempt - 1, error: `${last.error ?? 'failed'}; abandoned at shutdown` };
      }
      try {
        const res = await doFetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { ...base, ok: true, attempts: attempt, status: res.status };
        last = { ok: false, status: res.status, error: `answered HTTP ${res.status}` };
        if (!retriable(res.status)) return { ...base, ...last, attempts: attempt };
      } catch (err) {
        const cause = err instanceof Error ? (err.cause as { code?: string } | undefined)?.code : undefined;
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        last = { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : `unreachable: ${cause ?? (err instanceof Error ? err.message : String(err))}` };
      }
    }
    return { ...base, ...last, attempts: retry.attempts, error: `${last.error ?? 'failed'}, after ${retry.attempts} attempts` };
  }

  const track = (p: Promise<DeliveryResult>): void => {
    const settled = p.then((r) => {
      inFlight.delete(settled);
      finished.push(r);
      // Results wait for `drain`; without one (a long-running server) only the latest are kept.
      if (finished.length > MAX_PENDING) finished.splice(0, finished.length - MAX_PENDING);
      try {
        opts.onResult?.(r);
      } catch {
        // A faulty listener must not lose the other results.
      }
      return r;
    });
    inFlight.add(settled);
  };

  return {
    notify(notice) {
      const body = noticeBody(notice, now());
      for (const target of opts.targets) {
        if (!target.events.includes(notice.event)) continue;
        if (closing.signal.aborted || inFlight.size >= MAX_PENDING) {
          const why = closing.signal.aborted ? 'the notifier is closed' : `more than ${MAX_PENDING} deliveries pending`;
          track(Promise.resolve({ url: target.url, event: notice.event, delivery: randomUUID(), ok: false, attempts: 0, error: `dropped: ${why}` }));
          continue;
        }
        track(deliver(target, notice, body));
      }
    },
    pending: () => inFlight.size,
    async drain() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      return finished.splice(0);
    },
    async close() {
      closing.abort();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
