// The four DORA figures of one environment, computed from its recorded deployments: deployment
// frequency, lead time for changes, change failure rate and time to restore. Pure: the caller
// brings the deployments and, for each delivered change, the time of its first commit. The
// definitions are written out for people in docs/dora.md; keep the two in step.
import { isTerminal, type Deployment } from '../deployment/types.js';
import { parseSpan } from '../duration.js';
import { median, percentile } from '../stats/index.js';

export interface DoraWindow {
  /** Deployments that started at or after this moment count (milliseconds since the epoch). */
  since: number;
  /** … and at or before this one. */
  until: number;
}

/** A spread of durations in milliseconds, or null when there is none to measure. */
export interface Spread {
  count: number;
  medianMs: number;
  p90Ms: number;
}

export interface DoraFigures {
  env: string;
  since: string;
  until: string;
  /** Changes that went live in the window (they passed their verification), and per day. */
  deploymentFrequency: { delivered: number; perDay: number };
  /** From the first commit of a change to its release verified in this environment. */
  leadTime: Spread | null;
  /** Changes that failed (rolled back, or ended failed) among the changes that ended. */
  changeFailureRate: { failed: number; changes: number; rate: number } | null;
  /** From the moment a failed change exposed users to the moment a good release served again. */
  timeToRestore: Spread | null;
}

/** A change that went live, and where its commits start: what its lead time needs. */
export interface Delivered {
  deployment: Deployment;
  /** The commit the environment served before this change went live (undefined: its first). */
  previousCommit?: string;
}

const DAY_MS = 86_400_000;

/** A change: anything but a rollback (which undoes one) or an `up` (which restarts what was). */
const isChange = (d: Deployment): boolean => d.trigger !== 'rollback' && d.trigger !== 'up';

const inWindow = (d: Deployment, w: DoraWindow): boolean => {
  const t = Date.parse(d.startedAt);
  return t >= w.since && t <= w.until;
};

const spread = (values: number[]): Spread | null =>
  values.length === 0 ? null : { count: values.length, medianMs: Math.round(median(values)), p90Ms: Math.round(percentile(values, 90)) };

/** The operator's rollback that undid `d`: the first rollback after it that left its release. */
const undoneBy = (d: Deployment, oldestFirst: readonly Deployment[]): Deployment | undefined =>
  oldestFirst.slice(oldestFirst.indexOf(d) + 1).find((x) => x.trigger === 'rollback' && x.previousRelease === d.release && x.phase === 'succeeded');

/** Whether `d` went live: it passed its verification (and may have been rolled back by hand later). */
const wentLive = (d: Deployment, oldestFirst: readonly Deployment[]): boolean =>
  d.phase === 'succeeded' || (d.phase === 'rolled_back' && undoneBy(d, oldestFirst) !== undefined);

/**
 * The changes of an environment that went live (from its deployments, oldest first), each with
 * the commit served before it: the caller looks up the first commit of each change (the commits of `deployment.commit` not
 * in `previousCommit`) for `doraFigures`.
 */
export function deliveredChanges(oldestFirst: readonly Deployment[]): Delivered[] {
  const byNumber = oldestFirst;
  const out: Delivered[] = [];
  let served: string | undefined;
  for (const d of byNumber) {
    if (!isChange(d) || !wentLive(d, byNumber)) continue;
    out.push(served === undefined ? { deployment: d } : { deployment: d, previousCommit: served });
    served = d.commit;
  }
  return out;
}

/**
 * The figures of one environment over a window.
 * @param oldestFirst every recorded deployment of the environment, oldest first (of any age: the
 *   change before the window tells where the first change of the window starts)
 * @param firstCommitAt the time (ms) of the first commit of a delivered change, by deployment id;
 *   absent when the change brought no new commit (a config change) or it is unknown
 * @example
 * doraFigures('production', deployments, new Map([['d7', Date.parse('2026-12-01T09:00:00Z')]]), { since, until })
 */
export function doraFigures(env: string, oldestFirst: readonly Deployment[], firstCommitAt: ReadonlyMap<string, number>, w: DoraWindow): DoraFigures {
  const byNumber = oldestFirst.filter((d) => d.env === env);
  const ended = byNumber.filter((d) => isChange(d) && inWindow(d, w) && isTerminal(d.phase) && d.phase !== 'canceled' && d.phase !== 'rejected');
  const live = ended.filter((d) => wentLive(d, byNumber));
  const failed = ended.filter((d) => d.phase === 'rolled_back' || d.phase === 'failed');

  const leadTimes: number[] = [];
  for (const d of live) {
    const first = firstCommitAt.get(d.id);
    const done = d.finishedAt === undefined ? undefined : Date.parse(d.finishedAt);
    if (first !== undefined && done !== undefined) leadTimes.push(Math.max(0, done - first));
  }

  const restores: number[] = [];
  for (const d of failed) {
    if (d.phase !== 'rolled_back' || d.finishedAt === undefined) continue;
    const rollback = undoneBy(d, byNumber);
    if (rollback?.finishedAt !== undefined) {
      // Went live, then a person rolled it back: from live to the rollback's end.
      restores.push(Math.max(0, Date.parse(rollback.finishedAt) - Date.parse(d.finishedAt)));
    } else if (rollback === undefined) {
      // Rolled back by its own verification: from its start (traffic may move from then on) to the
      // end of the rollback, which is its own end.
      restores.push(Math.max(0, Date.parse(d.finishedAt) - Date.parse(d.startedAt)));
    }
  }

  const days = Math.max(w.until - w.since, 0) / DAY_MS;
  return {
    env,
    since: new Date(w.since).toISOString(),
    until: new Date(w.until).toISOString(),
    deploymentFrequency: { delivered: live.length, perDay: days > 0 ? round(live.length / days, 3) : 0 },
    leadTime: spread(leadTimes),
    changeFailureRate: ended.length === 0 ? null : { failed: failed.length, changes: ended.length, rate: round(failed.length / ended.length, 4) },
    timeToRestore: spread(restores),
  };
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/**
 * `--since`: `30d`, `12h`, `2w`, or a date (`2026-11-01`, or a full ISO time) — the start of the
 * window, in milliseconds; undefined when the text is none of these or in the future.
 */
export function parseSince(text: string, now: number): number | undefined {
  const span = parseSpan(text);
  if (span !== undefined) return now - span;
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) return undefined;
  const t = Date.parse(text.trim());
  return Number.isFinite(t) && t <= now ? t : undefined;
}
