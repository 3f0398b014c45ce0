// `slipway gc`: gathers what the records reference and what the disk holds, asks the pure plan
// (core/retention/plan.ts) what may go, and removes it through the retention port.
import { planRetention, type DiskItem, type EnvRetentionState, type RetentionPolicy, type RetentionState } from '../core/retention/plan.js';
import { logCutoff, planLogs, type LogFile, type LogPolicy } from '../core/retention/logs.js';
import type { LogDisk, RetentionDisk } from '../ports/retention.js';
import type { EngineContext } from './context.js';
import { isoNow } from './context.js';

export interface GcEntry {
  /** `log`: a log file; `run-output`: the step output of finished runs, in the store. */
  kind: DiskItem['kind'] | 'log' | 'run-output';
  /** The digest, `env vN`, the path, or for run output how many runs. */
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
  /** Log files rotated because they outgrew `retention.log_max_bytes` (for a dry run: that would be). */
  rotated: GcEntry[];
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

/** Instances that run or are recorded as running, and environments with a deployment in flight. */
const logsInUse = async (ctx: Pick<EngineContext, 'store' | 'runtime'>): Promise<{ running: string[]; inFlightEnvs: string[] }> => {
  const recorded = await ctx.store.listInstances();
  const envs = new Set([...recorded.map((i) => i.env), ...(await ctx.store.listEnvStates()).map((s) => s.env)]);
  const running = new Set(recorded.map((i) => i.id));
  for (const env of envs) for (const i of ctx.runtime.list(env)) running.add(i.id);
  return { running: [...running], inFlightEnvs: [...new Set((await ctx.store.unfinishedDeployments()).map((d) => d.env))] };
};

const logWhat = (f: LogFile): string => f.path;

/**
 * Log retention: rotates what outgrew `logMaxBytes`, removes log files last written more than
 * `logsDays` ago that nothing writes or verifies any more (checked again just before each
 * removal), and replaces the step output of runs finished before then by a one-line note.
 */
async function collectLogs(ctx: EngineContext, disk: LogDisk, policy: LogPolicy, report: GcReport): Promise<void> {
  const now = ctx.clock.now().getTime();
  const plan = planLogs({ now, files: await disk.scan(), ...(await logsInUse(ctx)) }, policy);
  const entry = (d: { file: LogFile; why: string }): GcEntry => ({ kind: 'log', what: logWhat(d.file), bytes: d.file.bytes, why: d.why });
  report.kept.push(...plan.keep.map(entry));
  for (const d of plan.rotate) {
    if (!report.dryRun) await disk.rotate(d.file);
    report.rotated.push(entry(d));
  }
  for (const d of plan.remove) {
    if (report.dryRun) {
      report.removed.push(entry(d));
      report.bytes += d.file.bytes;
      continue;
    }
    const o = d.file.owner;
    if (o.kind === 'instance') {
      const use = await logsInUse(ctx);
      if (use.inFlightEnvs.includes(o.env) || (d.file.part === 0 && use.running.includes(o.id))) {
        report.skipped.push({ ...entry(d), why: 'in use by an instance or deployment that started during gc' });
        continue;
      }
    }
    const freed = await disk.remove(d.file);
    report.removed.push({ ...entry(d), bytes: freed });
    report.bytes += freed;
  }
  const cutoff = new Date(logCutoff(now, policy)).toISOString();
  const note = `the output of this run expired: it finished more than ${policy.logsDays} day(s) before gc ran (retention.logs_days)`;
  const out = await ctx.store.expireRunLogs(cutoff, note, isoNow(ctx), { dryRun: report.dryRun });
  if (out.runs > 0) {
    report.removed.push({ kind: 'run-output', what: `${out.runs} run(s)`, bytes: out.bytes, why: `finished before ${cutoff} (retention.logs_days: ${policy.logsDays})` });
    report.bytes += out.bytes;
  }
}

/**
 * Applies the retention policy: plans from a snapshot, then, just before removing each item,
 * checks again that no deployment or run started meanwhile uses it (such an item is skipped).
 * A real run records a `gc` event with the counts and the bytes freed.
 */
export async function collectGarbage(
  ctx: EngineContext,
  disk: RetentionDisk,
  policy: RetentionPolicy & Partial<LogPolicy>,
  opts: { dryRun: boolean; activeRuns?: readonly string[]; logs?: LogDisk },
): Promise<GcReport> {
  const t0 = performance.now();
  const plan = planRetention(await retentionState(ctx, disk, policy, opts.activeRuns), policy);
  const entry = (d: { item: DiskItem; why: string }): GcEntry => ({ kind: d.item.kind, what: describe(d.item), bytes: d.item.bytes, why: d.why });
  const report: GcReport = { dryRun: opts.dryRun, removed: [], skipped: [], kept: plan.keep.map(entry), rotated: [], keptReleases: plan.keptReleases, bytes: 0, ms: 0 };
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
  if (opts.logs !== undefined && policy.logsDays !== undefined && policy.logMaxBytes !== undefined) {
    await collectLogs(ctx, opts.logs, { logsDays: policy.logsDays, logMaxBytes: policy.logMaxBytes }, report);
  }
  report.ms = Math.round(performance.now() - t0);
  if (!opts.dryRun) {
    const count = (k: GcEntry['kind']): number => report.removed.filter((e) => e.kind === k).length;
    await ctx.store.appendEvent(
      { kind: 'gc', actor: ctx.actor, subject: 'gc', data: { artifacts: count('artifact'), releaseDirs: count('release-dir'), workDirs: count('work-dir'), logs: count('log'), logsRotated: report.rotated.length, runOutputs: report.removed.find((e) => e.kind === 'run-output')?.what ?? '0 run(s)', skipped: report.skipped.length, bytes: report.bytes, ms: report.ms } },
      isoNow(ctx),
    );
  }
  return report;
}
