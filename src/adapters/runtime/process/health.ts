// Health probes: GET http://127.0.0.1:<port><path>, polled adaptively so that readiness is noticed
// within milliseconds of the app listening (2 ms, then ×1.5 up to the configured interval). A
// definite "no" to the health path (404, 405, 401…) ends the wait early: no amount of waiting makes
// a missing route answer 2xx.

import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

export type ProbeResult =
  | { ok: true; status: number }
  | { ok: false; kind: 'refused' | 'status' | 'timeout' | 'error'; status?: number; message: string };

/** One probe, without keep-alive: a 2xx answer within `timeoutMs` is healthy. */
export function probeOnce(port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { connection: 'close', 'user-agent': 'slipway-probe' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, kind: 'status', status, message: `answered ${status}` });
    });
    const timer = setTimeout(() => done({ ok: false, kind: 'timeout', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ECONNREFUSED' ? { ok: false, kind: 'refused', message: 'connection refused' } : { ok: false, kind: 'error', message: e.message }),
    );
    req.end();
  });
}

/**
 * A status that says the health path is wrong rather than the app still busy starting: a 4xx other
 * than 408 (request timeout) and 429 (too many requests), which both mean "come back later".
 */
export const isDefiniteRejection = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

/**
 * How many consecutive definite rejections, spread over at least how long, end a wait: a few answers
 * (not one, as a framework may answer 404 for a moment while it registers its routes), over a
 * second, so a missing route fails a start within seconds instead of after the start timeout.
 */
export const REJECT_AFTER = { answers: 3, ms: 1000 } as const;

export interface WaitHealthyOptions {
  port: number;
  path: string;
  /** Longest pause between probes. */
  intervalMs: number;
  /** Per probe. */
  timeoutMs: number;
  /** Give up after this long (from the call). */
  deadlineMs: number;
  /** First pause; default 2 ms. */
  initialMs?: number;
  /** Checked between probes: a string stops the wait (e.g. "the app exited"). */
  abort?: () => string | null;
  /** Wakes a pause early (e.g. when the instance's state file changed). */
  wake?: (listener: () => void) => () => void;
  /** When definite rejections end the wait (see REJECT_AFTER, the default); null: never. */
  rejectAfter?: { answers: number; ms: number } | null;
  /** How one probe is made; default `probeOnce` from here (another host's app: through its proxy). */
  probe?: Prober;
}

/** One probe of `path` on `port` of the app's machine. */
export type Prober = (port: number, path: string, timeoutMs: number) => Promise<ProbeResult>;

export type WaitHealthyResult =
  | { ok: true; afterMs: number; probes: number }
  /** `rejected`: the path answered a definite 4xx (see isDefiniteRejection) again and again. */
  | { ok: false; reason: 'timeout' | 'aborted' | 'rejected'; message: string; last: ProbeResult | null; probes: number };

/** Probes until healthy, aborted, or past the deadline. */
export async function waitHealthy(o: WaitHealthyOptions): Promise<WaitHealthyResult> {
  const t0 = performance.now();
  const end = t0 + o.deadlineMs;
  let pause = o.initialMs ?? 2;
  let last: ProbeResult | null = null;
  let probes = 0;
  const rejectAfter = o.rejectAfter === undefined ? REJECT_AFTER : o.rejectAfter;
  let rejected = 0;
  let rejections = 0;
  let firstRejectionAt = 0;
  for (;;) {
    const stop = o.abort?.() ?? null;
    if (stop !== null) return { ok: false, reason: 'aborted', message: stop, last, probes };
    const left = end - performance.now();
    if (left <= 0) return { ok: false, reason: 'timeout', message: last?.ok === false ? last.message : 'no probe answered', last, probes };
    probes++;
    const clipped = left < o.timeoutMs;
    const r = await (o.probe ?? probeOnce)(o.port, o.path, Math.max(1, Math.round(Math.min(o.timeoutMs, left))));
    if (r.ok) return { ok: true, afterMs: performance.now() - t0, probes };
    // A probe cut short by the deadline says less than the one before it.
    if (!(clipped && r.kind === 'timeout' && last !== null)) last = r;
    // The same definite 4xx again and again: count it, from its first answer in a row.
    if (r.kind === 'status' && r.status !== undefined && isDefiniteRejection(r.status)) {
      if (r.status !== rejected) {
        rejected = r.status;
        rejections = 0;
        firstRejectionAt = performance.now();
      }
      rejections++;
      if (rejectAfter !== null && rejections >= rejectAfter.answers && performance.now() - firstRejectionAt >= rejectAfter.ms) {
        return { ok: false, reason: 'rejected', message: `GET ${o.path} answered ${r.status}`, last: r, probes };
      }
    } else {
      rejected = 0;
    }
    const after = o.abort?.() ?? null;
    if (after !== null) return { ok: false, reason: 'aborted', message: after, last, probes };
    await pauseFor(Math.min(pause, Math.max(0, end - performance.now())), o.wake);
    pause = Math.min(o.intervalMs, pause * 1.5);
  }
}

function pauseFor(ms: number, wake?: WaitHealthyOptions['wake']): Promise<void> {
  return new Promise((resolve) => {
    let off = (): void => undefined;
    const t = setTimeout(() => {
      off();
      resolve();
    }, ms);
    if (wake !== undefined) {
      off = wake(() => {
        clearTimeout(t);
        off();
        resolve();
      });
    }
  });
}
