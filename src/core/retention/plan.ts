// What `slipway gc` may remove under the retention policy, and why each thing is kept: a pure
// plan over a snapshot of the records and the disk; the engine applies it through an adapter.

/** Something on disk that gc considers. `bytes` and `modifiedAt` (ms since the epoch) come from the disk. */
export type DiskItem =
  | { kind: 'artifact'; digest: string; path: string; bytes: number; modifiedAt: number }
  | { kind: 'release-dir'; env: string; release: number; path: string; bytes: number; modifiedAt: number }
  /** A run's work tree or a step's temporary directory in the sandbox area. */
  | { kind: 'work-dir'; path: string; bytes: number; modifiedAt: number };

export interface RetentionPolicy {
  /** Releases kept per environment, newest first (besides the current, previous and in-flight ones). */
  keepReleases: number;
  /** Digests never removed. */
  pinned: readonly string[];
  /** Nothing younger than this is removed (a build may be storing it right now). */
  minAgeMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepReleases: 10, pinned: [], minAgeMs: 60 * 60 * 1000 };

export interface EnvRetentionState {
  env: string;
  /** Every recorded release of the environment. */
  releases: readonly { number: number; digest: string }[];
  current?: number;
  /** The release a rollback goes back to (kept warm). */
  previous?: number;
  /** Releases with routes or running instances. */
  live: readonly number[];
}

export interface RetentionState {
  now: number;
  environments: readonly EnvRetentionState[];
  /** Deployments not finished yet (any phase but a terminal one, held included). */
  inFlight: readonly { id: string; env: string; release: number; digest: string }[];
  /** Runs queued or running; `digest` once they built. */
  activeRuns: readonly { id: string; digest?: string }[];
  /** Digests of the newest successful builds (what `slipway deploy` picks by default). */
  recentBuilds: readonly string[];
  items: readonly DiskItem[];
}

export interface Decision {
  item: DiskItem;
  why: string;
}

export interface RetentionPlan {
  remove: Decision[];
  keep: Decision[];
  /** Bytes the removals free. */
  bytes: number;
  /** The releases kept per environment, ascending. */
  keptReleases: Record<string, number[]>;
}

const label = (n: number): string => `v${n}`;

/** The releases of `e` that stay, each with the first reason found. */
function keptReleasesOf(e: EnvRetentionState, policy: RetentionPolicy, inFlight: RetentionState['inFlight']): Map<number, string> {
  const kept = new Map<number, string>();
  const add = (n: number | undefined, why: string): void => {
    if (n !== undefined && !kept.has(n)) kept.set(n, why);
  };
  add(e.current, 'the current release');
  add(e.previous, 'the previous release (kept warm for a rollback)');
  for (const n of e.live) add(n, 'it runs or has routes');
  for (const d of inFlight) if (d.env === e.env) add(d.release, `deployment ${d.id} is in flight`);
  const newest = [...e.releases].sort((a, b) => b.number - a.number).slice(0, Math.max(0, policy.keepReleases));
  for (const r of newest) add(r.number, `one of the last ${policy.keepReleases} releases`);
  return kept;
}

/**
 * Decides what may go: an artifact only when no kept release, in-flight deployment, active run,
 * recent build or pin references it; a release directory only when its release is not kept; work
 * directories only when no run is in flight; nothing younger than `minAgeMs`.
 *
 * @example
 * planRetention({ now, environments: [{ env: 'staging', releases, current: 12, live: [12] }], inFlight: [], activeRuns: [], recentBuilds: [], items }, DEFAULT_RETENTION)
 * // → { remove: [{ item: { kind: 'artifact', digest: 'sha256:…' }, why: 'no kept release … references it' }], bytes: 123456, … }
 */
export function planRetention(state: RetentionState, policy: RetentionPolicy): RetentionPlan {
  const refs = new Map<string, string>();
  const ref = (digest: string | undefined, why: string): void => {
    if (digest !== undefined && !refs.has(digest)) refs.set(digest, why);
  };
  const keptReleases: Record<string, number[]> = {};
  const keptByEnv = new Map<string, Map<number, string>>();
  for (const e of state.environments) {
    const kept = keptReleasesOf(e, policy, state.inFlight);
    keptByEnv.set(e.env, kept);
    keptReleases[e.env] = [...kept.keys()].sort((a, b) => a - b);
    for (const r of e.releases) if (kept.has(r.number)) ref(r.digest, `${e.env} ${label(r.number)}: ${kept.get(r.number) ?? ''}`);
  }
  for (const d of state.inFlight) ref(d.digest, `deployment ${d.id} is in flight`);
  for (const r of state.activeRuns) ref(r.digest, `run ${r.id} is in flight`);
  for (const d of policy.pinned) ref(d, 'pinned');
  for (const d of state.recentBuilds) ref(d, 'a recent build');

  const plan: RetentionPlan = { remove: [], keep: [], bytes: 0, keptReleases };
  const young = (i: DiskItem): boolean => state.now - i.modifiedAt < policy.minAgeMs;
  for (const item of state.items) {
    let why: string | null = null;
    switch (item.kind) {
      case 'artifact':
        why = refs.get(item.digest) ?? (young(item) ? 'stored recently' : null);
        break;
      case 'release-dir': {
        const kept = keptByEnv.get(item.env)?.get(item.release);
        why = kept !== undefined ? `${item.env} ${label(item.release)}: ${kept}` : young(item) ? 'unpacked recently' : null;
        break;
      }
      case 'work-dir':
        why = state.activeRuns.length > 0 ? 'a run is in flight' : young(item) ? 'made recently' : null;
        break;
    }
    if (why !== null) plan.keep.push({ item, why });
    else {
      plan.remove.push({ item, why: removalReason(item, policy) });
      plan.bytes += item.bytes;
    }
  }
  return plan;
}

function removalReason(item: DiskItem, policy: RetentionPolicy): string {
  switch (item.kind) {
    case 'artifact':
      return `no kept release (the last ${policy.keepReleases} per environment, current, previous), deployment, run, recent build or pin references it`;
    case 'release-dir':
      return `${item.env} ${label(item.release)} is older than the last ${policy.keepReleases} releases and neither current, previous nor live`;
    case 'work-dir':
      return 'left by a finished run';
  }
}
