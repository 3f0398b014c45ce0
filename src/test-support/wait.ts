// The one way a test waits for something to happen: poll a check until it holds, with a deadline,
// and fail naming what was awaited (and the last thing the check said) when it never does. A
// test that waits without a deadline hangs on the regression it should catch; one that sleeps a
// fixed time instead is slow when the machine is idle and flaky when it is busy.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, for the failure message: "the proxy to answer on :8080". */
  what: string;
  /** Milliseconds before giving up; generous, because a loaded machine is slow (default 30 s). */
  timeout?: number;
  /** Milliseconds between checks (default 50; more for a check that runs the CLI, which costs a process). */
  interval?: number;
}

/** A check is done when it returns anything but `undefined`, `null` or `false`. */
type Pending = undefined | null | false;

/**
 * Calls `check` until it returns a value (not undefined, null or false) and returns that value.
 * A check that throws has not succeeded yet (a server still starting refuses connections); its
 * last error is quoted if the deadline passes. Throws `waited N ms for <what>` at the deadline.
 */
export async function waitFor<T>(check: () => T | Pending | Promise<T | Pending>, opts: WaitOptions): Promise<T> {
  const timeout = opts.timeout ?? 30_000;
  const interval = opts.interval ?? 50;
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
      last = v === false ? '' : `; the check returned ${String(v)}`;
    } catch (e) {
      last = `; the last check threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (Date.now() >= deadline) throw new Error(`waited ${timeout} ms for ${opts.what}, in vain${last}`);
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
}
