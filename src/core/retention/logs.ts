// Which logs `slipway gc` rotates and which it removes: a pure plan over the log files found on
// disk and what runs now. Step output lives in the store and expires by a cutoff (logCutoff).

/** Whose log a file is: an instance's (the runtime shim writes it) or a daemon's (its stdout). */
export type LogOwner = { kind: 'instance'; env: string; id: string } | { kind: 'daemon'; name: 'server' | 'proxy' };

/** One log file: `part` 0 is the file being written, n ≥ 1 its n-th rotation (`FILE.n`, 1 the newest). */
export interface LogFile {
  path: string;
  owner: LogOwner;
  part: number;
  bytes: number;
  /** ms since the epoch of its last write. */
  modifiedAt: number;
}

export interface LogPolicy {
  /** Days a log is kept after its last line. */
  logsDays: number;
  /** Size at which a file being written is rotated. */
  logMaxBytes: number;
}

export const DEFAULT_LOG_POLICY: LogPolicy = { logsDays: 14, logMaxBytes: 10 * 1024 * 1024 };

export interface LogState {
  now: number;
  files: readonly LogFile[];
  /** Ids of the instances that run (or are recorded as running). */
  running: readonly string[];
  /** Environments with a deployment in flight: every log of their instances stays (verification reads them). */
  inFlightEnvs: readonly string[];
}

export interface LogDecision {
  file: LogFile;
  why: string;
}

export interface LogPlan {
  /** Files being written that outgrew `logMaxBytes` and whose writer does not rotate them itself. */
  rotate: LogDecision[];
  remove: LogDecision[];
  keep: LogDecision[];
  /** Bytes the removals free. */
  bytes: number;
}

const DAY_MS = 86_400_000;

/** Output of runs that finished before this instant (ms since the epoch) expires. */
export const logCutoff = (now: number, policy: LogPolicy): number => now - policy.logsDays * DAY_MS;

const ownerLabel = (o: LogOwner): string => (o.kind === 'instance' ? `instance ${o.id} (${o.env})` : `the ${o.name === 'server' ? 'control plane' : 'proxy'}`);

/**
 * Decides per file: a file being written is kept while its writer may write (a daemon's always, an
 * instance's while it runs) and rotated when larger than `logMaxBytes`; every file of the
 * instances of an environment with a deployment in flight is kept; otherwise a file whose last line is older than
 * `logsDays` goes.
 *
 * @example
 * planLogs({ now, files: [{ path: '…/logs/staging/i1.log.3', owner: { kind: 'instance', env: 'staging', id: 'i1' }, part: 3, bytes: 9e6, modifiedAt: now - 20 * DAY }], running: ['i1'], inFlightEnvs: [] }, { logsDays: 14, logMaxBytes: 1e7 })
 * // → { remove: [{ file: …, why: 'rotated, last written 20 days ago (retention.logs_days: 14)' }], rotate: [], … }
 */
export function planLogs(state: LogState, policy: LogPolicy): LogPlan {
  const running = new Set(state.running);
  const inFlight = new Set(state.inFlightEnvs);
  const cutoff = logCutoff(state.now, policy);
  const plan: LogPlan = { rotate: [], remove: [], keep: [], bytes: 0 };
  for (const file of state.files) {
    const o = file.owner;
    const written = file.part === 0 && (o.kind === 'daemon' || running.has(o.id));
    if (written && file.bytes > policy.logMaxBytes) plan.rotate.push({ file, why: `${file.bytes} bytes, over retention.log_max_bytes (${policy.logMaxBytes})` });
    let why: string | null = null;
    if (o.kind === 'instance' && inFlight.has(o.env)) why = `a deployment of ${o.env} is in flight`;
    else if (written) why = `${ownerLabel(o)} writes it`;
    else if (file.modifiedAt >= cutoff) why = `written within the last ${policy.logsDays} day(s)`;
    if (why !== null) plan.keep.push({ file, why });
    else {
      const days = Math.floor((state.now - file.modifiedAt) / DAY_MS);
      const what = file.part > 0 ? 'rotated' : `${ownerLabel(o)} no longer runs`;
      plan.remove.push({ file, why: `${what}, last written ${days} days ago (retention.logs_days: ${policy.logsDays})` });
      plan.bytes += file.bytes;
    }
  }
  return plan;
}
