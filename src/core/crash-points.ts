// The named crash points: every phase boundary of runs, deployments, verifications, rollbacks,
// config releases and merges at which the crash tests kill the control plane (SIGKILL). The names
// are stable — tests and docs/testing.md use them — and this is the one list of them. What kills
// is an adapter (adapters/crash), enabled only by the test-only variable SLIPWAY_CRASH_AT.

export const CRASH_POINTS = {
  // Runs (engine/run.ts, run/build-step.ts)
  'run.recorded': 'the run and its steps are written, nothing executed yet',
  'run.checked-out': 'the clean work tree of the commit exists; no step started',
  'run.step-started': 'a step is recorded running; its command is not spawned yet',
  'run.artifact-stored': 'the build artifact is stored and recorded; the build step is not recorded passed',
  'run.step-recorded': 'a step is recorded passed or failed; the next one is not scheduled',
  'run.finished': 'the run is recorded finished; followers are not told yet',
  // Deployments (engine/deploy/deploy.ts, deploy/apply.ts)
  'deploy.locked': "the environment's lease is taken; no release or deployment written",
  'deploy.release-created': 'the release is written; its deployment is not',
  'deploy.intent-recorded': 'the deployment (its plan, the intent) is written; no action applied',
  'deploy.instances-started': "the new release's instances are healthy; they are not recorded in the store",
  'deploy.instances-recorded': "the new release's instances are recorded; traffic not moved",
  'deploy.routes-desired': 'the desired routes are written; the proxy is not told',
  'deploy.routed': 'the proxy serves the new routes; the step is not recorded',
  'deploy.step-done': 'a plan action is applied and recorded; the next one is not started',
  'deploy.retired': 'the old release is stopped; the step is not recorded',
  'deploy.succeeded': 'the deployment is recorded succeeded; its lease is not released',
  // Verifications (engine/deploy/verify.ts)
  'verify.started': 'a verification window is recorded started; nothing measured',
  'verify.interval-saved': "an interval's measurements and judgement are saved",
  'verify.decided': 'the verdict (pass or fail) is recorded; the deployment has not acted on it',
  // Rollbacks after a failure (engine/deploy/apply.ts applyFailure); `slipway rollback` is a
  // deployment (trigger rollback) and passes the deploy.* points, deploy.succeeded before it marks
  // the deployment it undoes rolled back.
  'rollback.rolling-back': 'a failed deployment is recorded rolling back; traffic not moved back',
  'rollback.restored': 'traffic is back on the previous release; the failed one still runs',
  'rollback.digest-marked-bad': "the failed release's digest is marked bad",
  'rollback.finished': 'the failed deployment is recorded rolled back',
  // Config releases (engine/envconfig/changes.ts, envconfig/secrets.ts)
  'config.version-recorded': 'a config version is written; its event is not',
  'config.changed': 'a config version and its event are written; nothing redeployed',
  'secret.version-recorded': 'a sealed secret version is written; its event is not',
  // Merges (engine/queue/queue.ts, queue/batch.ts)
  'merge.enqueued': 'an item is queued (its ref and event written); no batch',
  'merge.batch-created': 'a batch is recorded testing; its run is not started',
  'merge.main-moved': 'main is moved by compare-and-swap; the items are not recorded merged',
  'merge.merged': 'the items and the batch are recorded merged; not released',
  'merge.released': 'continuous deployment is started; no deployment is recorded, nor the batch released',
} as const;

export type CrashPoint = keyof typeof CRASH_POINTS;

export const CRASH_POINT_NAMES = Object.keys(CRASH_POINTS) as CrashPoint[];

/** Which point, and at which of its hits (1 = the first). */
export interface CrashAt {
  point: CrashPoint;
  hit: number;
}

/**
 * Parses SLIPWAY_CRASH_AT: `<point>` (its first hit) or `<point>@<n>` (its n-th hit, counted from
 * the control plane's start). An unknown name is an error that lists the known ones.
 */
export const parseCrashAt = (raw: string): { ok: true; value: CrashAt } | { ok: false; message: string } => {
  const m = /^([a-z]+\.[a-z-]+)(?:@([1-9][0-9]{0,5}))?$/.exec(raw.trim());
  const name = m?.[1];
  if (m === null || name === undefined || !Object.hasOwn(CRASH_POINTS, name)) {
    return { ok: false, message: `SLIPWAY_CRASH_AT="${raw.slice(0, 80)}" names no crash point; it takes <point> or <point>@<n>, with a point among: ${CRASH_POINT_NAMES.join(', ')}` };
  }
  return { ok: true, value: { point: name as CrashPoint, hit: m[2] === undefined ? 1 : Number(m[2]) } };
};
