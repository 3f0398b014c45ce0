// The DORA figures of each environment (docs/dora.md): `GET /v1/dora?env=E&since=30d`. The
// figures come from core/dora; this route gathers the deployments and asks git when each
// delivered change was begun.
import { existsSync } from 'node:fs';
import { deliveredChanges, doraFigures, parseSince, type DoraFigures } from '../core/dora/dora.js';
import { SlipwayError } from '../core/errors.js';
import type { Engine } from '../engine/engine.js';
import { homePaths } from '../home/paths.js';
import type { Router } from './http.js';
import { knownEnv } from './routes-deploy.js';

const MAX_BUCKETS = 400;
const BUCKET_MS: Record<string, number> = { day: 86_400_000, week: 7 * 86_400_000 };

/** Enough for any window a person asks about; the store holds each environment's every deployment. */
const MAX_DEPLOYMENTS = 100_000;

export const addDoraRoutes = (r: Router, engine: Engine): void => {
  const { store, vcs, repo, home, clock } = engine.ctx;

  r.on('GET', '/v1/dora', async (req) => {
    const now = clock.now().getTime();
    const sinceText = req.query.get('since') ?? '30d';
    const since = parseSince(sinceText, now);
    if (since === undefined) throw new SlipwayError('usage', `since must be a number of hours, days or weeks back (12h, 30d, 2w) or a past date (2026-11-01), not "${sinceText}"`);
    const every = req.query.get('every') ?? undefined;
    if (every !== undefined && !(every in BUCKET_MS)) throw new SlipwayError('usage', `every must be day or week, not "${every.slice(0, 40)}"`);
    const bucketMs = every === undefined ? undefined : BUCKET_MS[every];
    if (bucketMs !== undefined && (now - since) / bucketMs > MAX_BUCKETS) throw new SlipwayError('usage', `every=${every ?? ''} over since=${sinceText} is more than ${MAX_BUCKETS} buckets: choose a shorter window or every=week`);
    const env = req.query.get('env') ?? undefined;
    if (env !== undefined) await knownEnv(engine, env);
    const envs = env !== undefined ? [env] : [...new Set((await store.listEnvStates()).map((s) => s.env))].sort();
    // The queue's merges live in the canonical repository; commits made and run locally, in the app's.
    const repos = [repo, homePaths(home).canonicalRepo].filter((p) => existsSync(p));
    const firstCommitTime = async (commit: string, previous: string): Promise<number | undefined> => {
      for (const r of repos) {
        const t = await vcs.firstCommitTime(r, commit, previous);
        if (t !== undefined) return t;
      }
      return undefined;
    };
    const window = { since, until: now };
    const out: (DoraFigures & { series?: DoraFigures[] })[] = [];
    for (const e of envs) {
      const oldestFirst = (await store.listDeployments(e, MAX_DEPLOYMENTS)).reverse();
      const first = new Map<string, number>();
      for (const { deployment: d, previousCommit } of deliveredChanges(oldestFirst)) {
        if (previousCommit === undefined || previousCommit === d.commit || Date.parse(d.startedAt) < since) continue;
        const t = await firstCommitTime(d.commit, previousCommit);
        if (t !== undefined) first.set(d.id, t);
      }
      const figures: DoraFigures & { series?: DoraFigures[] } = doraFigures(e, oldestFirst, first, window);
      // The same figures over each day or week of the window, oldest first (the dashboard's charts).
      if (bucketMs !== undefined) {
        figures.series = [];
        for (let from = since; from < now; from += bucketMs) figures.series.push(doraFigures(e, oldestFirst, first, { since: from, until: Math.min(now, from + bucketMs) }));
      }
      out.push(figures);
    }
    return { since: new Date(since).toISOString(), until: new Date(now).toISOString(), environments: out };
  }, {
    summary: 'The DORA figures of each environment over a window (docs/dora.md)',
    query: { every: 'Also the figures of each `day` or `week` of the window, oldest first, as `series`', env: 'Only this environment', since: 'How far back: 12h, 30d, 2w or a date such as 2026-11-01 (30d by default)' },
  });
};
