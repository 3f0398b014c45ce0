// Crashes of a release's instances, as a verification provider: counts the runtime's
// `instance.crashed` events for one release from the moment it is created (or resumed).

import type { Clock } from '../../ports/clock.js';
import type { EventCount, EventCounter, Measurement } from '../../ports/metrics.js';
import type { Runtime } from '../../ports/runtime.js';

export interface CrashCursor {
  count: number;
  firstAt?: number;
}

export interface CrashCounterOptions {
  runtime: Pick<Runtime, 'onEvent'>;
  env: string;
  release: number;
  /** Time of a crash (the runtime's events carry none). */
  clock: Clock;
  /** Crashes counted before a restart of the control plane. */
  cursor?: CrashCursor;
}

/**
 * An EventCounter of crashes. Crashes that happen while the control plane is down are not seen
 * as events; the runtime's per-instance `restarts` count (InstanceInfo) covers that gap.
 */
export function crashCounter(opts: CrashCounterOptions): EventCounter<CrashCursor> {
  let count = opts.cursor?.count ?? 0;
  let firstAt = opts.cursor?.firstAt;
  const off = opts.runtime.onEvent((e) => {
    if (e.kind !== 'instance.crashed' || e.instance.env !== opts.env || e.instance.release !== opts.release) return;
    count++;
    firstAt ??= opts.clock.now().getTime();
  });
  let closed = false;
  const value = (): EventCount => (firstAt === undefined ? { count } : { count, firstAt });
  return {
    count: (): Promise<Measurement<EventCount>> => Promise.resolve({ ok: true, value: value() }),
    cursor: () => value(),
    close: () => {
      if (closed) return;
      closed = true;
      off();
    },
  };
}
