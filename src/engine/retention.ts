// `slipway gc`: gathers what the records reference and what the disk holds, asks the pure plan
// (core/retention/plan.ts) what may go, and removes it through the retention port.
import { planRetention, type DiskItem, type EnvRetentionState, type RetentionPolicy, type RetentionState } from '../core/retention/plan.js';
import type { RetentionDisk } from '../ports/retention.js';
import type { EngineContext } from './context.js';
import { isoNow } from './context.js';

export interface GcEntry {
  kind: DiskItem['kind'];
  /** The digest, `env vN`, or the path. */
  what: string;
  bytes: number;
  why: string;
}

export interface GcReport {
  dryRun: boolean;
  removed: GcEntry[];
  /** Items planned for removal but found in use by the time of removal (a deployment started meanwhile). */
  skipped: GcEntry[];
  kept: GcEntry[];
  keptReleases: Record<string, number[]>;
  /** Bytes freed (or, for a dry run, that would be). */
  bytes: number;
  ms: number;
}

const describe = (i: DiskItem): string => (i.kind === 'artifact' ? i.digest : i.kind === 'release-dir' ? `${i.env} v${i.release}` : i.path);

/** What is in use right now: digests of unfinished deployments and runs, and whether a run is in flight. */
const inUse = async (ctx: Pick<EngineContext, 'store'>, activeRuns: readonly string[]): Promise<{ deployments: RetentionState['inFlight']; runs: RetentionState['activeRuns'] }> => {
  const deployments = await ctx.store.unfinishedDeployments();
  const runs = await ctx.store.unfinishedRuns();
  return {
    deployments: deployments.map((d) => ({ id: d.id, env: d.env, release: d.release, digest: d.digest })),
    runs: [...runs.map((r): { id: string; digest?: string } => ({ id: r.id, ...(r.digest ? { digest: r.digest } : {}) })), ...activeRuns.filter((id) => !runs.some((r) => r.id === id)).map((id) => ({ id }))],
  };
};

/** A snapshot of the records for the plan. `activeRuns`: runs this control plane has in flight. */
export async function retentionState(ctx: Pick<EngineContext, 'store' | 'runtime' | 'clock'>, disk: RetentionDisk, policy: RetentionPolicy, activeRuns: readonly string[] = []): Promise<RetentionState> {
  const instances = await ctx.store.listInstances();
  const environments: EnvRetentionState[] = [];
  for (const s of await ctx.store.listEnvStates()) {
    const releases = (await ctx.store.listReleases(s.env)).map((r) => ({ number: r.number, digest: r.digest }));
    const succeeded = (await ctx.store.listDeployments(s.env, 100)).filter((d) => d.phase === 'succeeded' && d.release !== s.currentRelease);
    const live = new Set([...s.routes.map((w) => w.release), ...instances.filter((i) => i.env === s.env).map((i) => i.release), ...ctx.runtime.list(s.env).map((i) => i.release)]);
    environments.push({ env: s.env, releases, ...(s.currentRelease === undefined ? {} : { current: s.currentRelease }), ...(succeeded[0] ? { previous: succeeded[0].release } : {}), live: [...live] });
  }
  const use = await inUse(ctx, activeRuns);
  const builds = new Set<string>();
  for (const r of await ctx.store.listRuns(200)) if (r.status === 'passed' && r.digest && builds.size < Math.max(1, policy.keepReleases)) builds.add(r.digest);
  return { now: ctx.clock.now().getTime(), environments, inFlight: use.deployments, activeRuns: use.runs, recentBuilds: [...builds], items: await disk.scan() };
}

/**
 * Applies the retention policy: plans from a snapshot, then, just before removing each item,
 * checks again that no deployment or run started meanwhile uses it (such an item is skipped).
 * A real run records a `gc` event with the counts and the bytes freed.
 */
export async function collectGarbage(ctx: EngineContext, disk: RetentionDisk, policy: RetentionPolicy, opts: { dryRun: boolean; activeRuns?: readonly string[] }): Promise<GcReport> {
  const t0 = performance.now();
  const plan = planRetention(await retentionState(ctx, disk, policy, opts.activeRuns), policy);
  const entry = (d: { item: DiskItem; why: string }): GcEntry => ({ kind: d.item.kind, what: describe(d.item), bytes: d.item.bytes, why: d.why });
  const report: GcReport = { dryRun: opts.dryRun, removed: [], skipped: [], kept: plan.keep.map(entry), keptReleases: plan.keptReleases, bytes: 0, ms: 0 };
  if (opts.dryRun) {
    report.removed = plan.remove.map(entry);
    report.bytes = plan.bytes;
  } else {
    for (const d of plan.remove) {
      const now = await inUse(ctx, opts.activeRuns ?? []);
      const busy =
        (d.item.kind === 'artifact' && (now.deployments.some((x) => x.digest === (d.item as { digest: string }).digest) || now.runs.some((r) => r.digest === (d.item as { digest: string }).digest))) ||
        (d.item.kind === 'release-dir' && now.deployments.some((x) => d.item.kind === 'release-dir' && x.env === d.item.env && x.release === d.item.release)) ||
        (d.item.kind === 'work-dir' && now.runs.length > 0);
      if (busy) {
        report.skipped.push({ ...entry(d), why: 'in use by a deployment or run that started during gc' });
        continue;
      }
      const freed = await disk.remove(d.item);
      report.removed.push({ ...entry(d), bytes: freed });
      report.bytes += freed;
    }
  }
  report.ms = Math.round(performance.now() - t0);
  if (!opts.dryRun) {
    const count = (k: DiskItem['kind']): number => report.removed.filter((e) => e.kind === k).length;
    await ctx.store.appendEvent(
      { kind: 'gc', actor: ctx.actor, subject: 'gc', data: { artifacts: count('artifact'), releaseDirs: count('release-dir'), workDirs: count('work-dir'), skipped: report.skipped.length, bytes: report.bytes, ms: report.ms } },
      isoNow(ctx),
    );
  }
  return report;
}
