// The runtime port: makes a release's artifact run as supervised instances. The embedded adapter
// (adapters/runtime/process) runs local processes, adapters/runtime/docker containers on a Docker
// Engine; adapters/runtime/by-kind.ts serves both, each release on the runtime its environment names.
//
// Contract:
// - `prepare` is idempotent: preparing a release that is already prepared returns the same dir.
// - `start` starts new instances of a prepared release; it never touches other releases' instances.
// - Instances are owned by the runtime; the runtime restarts crashed ones with backoff and reports
//   every crash through `onEvent`, and `stop` stops them (SIGTERM, grace, SIGKILL).
// - `adopt` reattaches to instances started by an earlier control plane (recorded pids/ports), so a
//   restart of the control plane neither kills nor duplicates them.
// - `sweep`, called once after `adopt`, stops what an earlier control plane left running but no
//   record owns (the shims of a start a crash cut off): nothing of it outlives the recovery.

import type { HostDownPolicy, HostSpec, RuntimeKind } from '../core/config/types.js';

export interface ReleaseRef {
  env: string;
  /** Release number within the environment (v1, v2 … → 1, 2 …). */
  release: number;
  digest: string;
  /**
   * Which runtime runs the release (its environment's `runtime:`); absent: `process`. Only a
   * runtime that serves several kinds (adapters/runtime/by-kind.ts) reads it.
   */
  runtime?: RuntimeKind;
  /** The image a container runtime starts, `host/repository@sha256:…`, as the release recorded it (never a tag). */
  image?: string;
  /**
   * Several hosts (`runtime: docker` with `hosts:`): the instances start on each host in this order,
   * `instances` per host, the first host healthy before any other is touched (the barrier).
   */
  hosts?: HostSpec[];
}

export interface InstanceSpec extends ReleaseRef {
  /** The shell command of `run.command`, started in the release directory. */
  command: string;
  instances: number;
  /** Environment variables of each process, besides PORT and Slipway's metadata, which the runtime adds. */
  vars: Record<string, string>;
  health: { path: string; intervalMs: number; timeoutMs: number; startTimeoutMs: number };
  stopGraceMs: number;
  /** Values masked in the instance logs. */
  secretValues?: string[];
  /** Size at which an instance log is rotated as it is written (`retention.log_max_bytes`); never when absent. */
  logMaxBytes?: number;
  /** With `hosts`: what a host that cannot be reached does (default `rollback`); `wait` waits up to `health.startTimeoutMs`. */
  onHostDown?: HostDownPolicy;
}

/** What happened on one host of a multi-host start, in the order it happened. */
export interface HostReport {
  host: string;
  /** `starting`: touched; `healthy`: its instances passed their health check; `down`: not reachable; `waiting`: down, waited for; `skipped`: left out (on_host_down: skip); `failed`: the release failed there; `stopped`: its new instances were stopped again. */
  state: 'starting' | 'healthy' | 'down' | 'waiting' | 'skipped' | 'failed' | 'stopped';
  message?: string;
}

export interface InstanceInfo {
  /** Unique across starts (`<env>-v<release>-<n>-<random>`); what `adopt` finds an instance by. */
  id: string;
  env: string;
  release: number;
  digest: string;
  /** The app's current process (changes on a restart); for the process runtime also its process group. */
  pid: number;
  /** Loopback port the app listens on; kept across restarts, so routes stay valid. */
  port: number;
  url: string;
  /** When the instance (not its current process) started. */
  startedAt: string;
  /** Restarts after crashes so far. */
  restarts: number;
  /** `crashed`: waiting to be restarted, or its supervisor is gone; `unhealthy`: restarted but not healthy in time. */
  state: 'starting' | 'healthy' | 'unhealthy' | 'crashed' | 'stopped';
  /** Where the instance's output goes (masked), e.g. a file path. */
  log: string;
  /** The host it runs on, by its name in `hosts:`; absent on this machine. `url` is on that host's loopback. */
  host?: string;
}

export type RuntimeEvent =
  | { kind: 'instance.started'; instance: InstanceInfo }
  /** `afterMs`: from starting the instance (or, after a restart, its new process) to the first 2xx probe. */
  | { kind: 'instance.healthy'; instance: InstanceInfo; afterMs: number }
  | { kind: 'instance.crashed'; instance: InstanceInfo; exitCode: number | null; signal: string | null; lastLines: string[] }
  | { kind: 'instance.restarted'; instance: InstanceInfo; attempt: number; backoffMs: number }
  | { kind: 'instance.stopped'; instance: InstanceInfo };

/**
 * Why a start failed. `unhealthy`: the health path answered, but never 2xx (`status`: a definite
 * 4xx ends the start early); `timeout`: no 2xx within the start timeout (nothing listened, or the
 * answers were too slow); `exited`: the app exited first (`exit`); `spawn`: it could not be started.
 */
export interface StartFailure {
  ok: false;
  reason: 'exited' | 'unhealthy' | 'timeout' | 'spawn';
  message: string;
  /** The last lines of the failed instance's output (crash reports). */
  lastLines: string[];
  /**
   * The failed instance's output from its first line, in order: all of it when short, else its
   * first and last lines around one `slipway: …` line that says how much was left out.
   */
  output: string[];
  /** The port the failed instance was given as $PORT. */
  port?: number;
  /** The last status the health path answered. */
  status?: number;
  exit?: { code: number | null; signal: string | null };
  /** The release directory the app ran in (its working directory). */
  dir?: string;
}

/** An orphan `sweep` stopped: its instance id and the processes it found alive. */
export interface SweptInstance {
  id: string;
  env: string;
  /** The processes that were still alive (the shim, the app's process group), before the signals. */
  pids: number[];
  /** Whether SIGTERM was not enough. */
  killed: boolean;
}

export type StartResult = { ok: true; instances: InstanceInfo[] } | StartFailure;

export interface Runtime {
  /** Verifies the artifact and unpacks it into a read-only release directory. */
  prepare(ref: ReleaseRef): Promise<{ dir: string }>;
  /**
   * Starts the instances and waits until all are healthy (or fails, stopping what it started).
   * `onHost`: told of each step on each host of a multi-host spec, as it happens.
   */
  start(spec: InstanceSpec, onHost?: (r: HostReport) => void): Promise<StartResult>;
  /** Instances of a release (all releases of the env when `release` is omitted). */
  list(env: string, release?: number): InstanceInfo[];
  /** Stops the instances of a release; resolves when they are gone. */
  stop(env: string, release: number): Promise<void>;
  /** Reattaches to recorded instances that are still alive; returns the ones it adopted. */
  adopt(recorded: InstanceInfo[], spec: (ref: ReleaseRef) => InstanceSpec | undefined): Promise<InstanceInfo[]>;
  /**
   * Stops every instance left by an earlier runtime over the same home that this one does not
   * supervise (it was not adopted): SIGTERM, grace, SIGKILL. Returns what it stopped. Call it after
   * `adopt`; instances this runtime started or adopted are never touched.
   */
  sweep(): Promise<SweptInstance[]>;
  onEvent(listener: (e: RuntimeEvent) => void): () => void;
  /** Stops supervising (instances keep running unless `stopInstances`). */
  close(opts?: { stopInstances?: boolean }): Promise<void>;
}
