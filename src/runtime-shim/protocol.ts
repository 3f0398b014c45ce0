// What passes between the process runtime and a shim: the config the shim reads from its
// environment and the state file it writes. Both sides import this file and nothing of each other.

/** The shim's config (JSON) travels in this environment variable, never in argv (argv shows in `ps`). */
export const SHIM_CONFIG_VAR = 'SLIPWAY_SHIM_CONFIG';
/** Comma-separated names of the app's environment variables whose values are masked in its logs. */
export const MASK_VARS_VAR = 'SLIPWAY_MASK_VARS';
export const STATE_SCHEMA = 'slipway/shim-state@1';

export interface BackoffPolicy {
  /** First delay before a restart. */
  initialMs: number;
  /** Delays double up to this. */
  maxMs: number;
  /** An app that ran this long before exiting restarts after `initialMs` again. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 10_000, resetAfterMs: 30_000 };

/**
 * Everything a shim needs besides the app's environment, which is the rest of the shim's own
 * environment (passed variable by variable: one variable holds at most 128 KiB on Linux).
 */
export interface ShimConfig {
  id: string;
  /** The shell command (`sh -c`), run in `cwd`; named in messages. */
  command: string;
  /** What the shim spawns to run it: the sandbox's command (ending in `/bin/sh -c command`) and uid. */
  launch: Launch;
  cwd: string;
  logFile: string;
  stateFile: string;
  port: number;
  /** SIGTERM → wait this long → SIGKILL. */
  graceMs: number;
  backoff: BackoffPolicy;
  /** Secret values to mask in the log, besides those named by SLIPWAY_MASK_VARS. */
  maskValues: string[];
  /** Size at which the shim rotates the log (`retention.log_max_bytes`); never when absent. */
  logMaxBytes?: number;
}

export interface Launch {
  file: string;
  args: string[];
  uid?: number;
  gid?: number;
}

/**
 * - `starting`: the app runs but the runtime has not yet seen it healthy; an exit now is final
 *   (`exited`), since restarting an app that cannot start only hides the failure.
 * - `running`: armed (the runtime saw it healthy, SIGUSR2): exits are restarted with backoff.
 * - `backoff`: the app exited; it restarts after `backoffMs`.
 * - `stopping` → `stopped`: the shim got SIGTERM. `exited` / `failed` (could not spawn) are final.
 */
export type ShimPhase = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'exited' | 'failed';

export const isFinalPhase = (p: ShimPhase): boolean => p === 'stopped' || p === 'exited' || p === 'failed';

export interface ExitRecord {
  code: number | null;
  signal: string | null;
  at: string;
  /** The app's last output lines, already masked. */
  lastLines: string[];
}

/** The state file `<home>/run/<env>/<id>.json`, replaced atomically on every change. */
export interface ShimState {
  schema: typeof STATE_SCHEMA;
  id: string;
  /** Increases with every write, so that a reader can tell a change from a re-read. */
  seq: number;
  shimPid: number;
  /** The app's pid, which is also its process group id; null between runs. */
  appPid: number | null;
  port: number;
  phase: ShimPhase;
  armed: boolean;
  /** How many times the app was restarted after a crash. */
  restarts: number;
  /** When the shim started (the instance's start). */
  startedAt: string;
  /** When the current app process was spawned. */
  appStartedAt: string | null;
  /** The delay chosen after the last crash. */
  backoffMs: number | null;
  lastExit: ExitRecord | null;
  /** Why the shim failed (phase `failed`). */
  error: string | null;
  updatedAt: string;
}

const PHASES: readonly ShimPhase[] = ['starting', 'running', 'backoff', 'stopping', 'stopped', 'exited', 'failed'];

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a state file's JSON; null when it is not one (torn, foreign or from another version). */
export function parseShimState(value: unknown): ShimState | null {
  if (!isObj(value) || value.schema !== STATE_SCHEMA) return null;
  const v = value;
  if (!isStr(v.id) || !isInt(v.seq) || !isInt(v.shimPid) || !isInt(v.port) || !isInt(v.restarts)) return null;
  if (!(v.appPid === null || isInt(v.appPid)) || !PHASES.includes(v.phase as ShimPhase) || typeof v.armed !== 'boolean') return null;
  if (!isStr(v.startedAt) || !(v.appStartedAt === null || isStr(v.appStartedAt)) || !isStr(v.updatedAt)) return null;
  if (!(v.backoffMs === null || isInt(v.backoffMs)) || !(v.error === null || isStr(v.error))) return null;
  let lastExit: ExitRecord | null = null;
  if (v.lastExit !== null) {
    const e = v.lastExit;
    if (!isObj(e) || !(e.code === null || isInt(e.code)) || !(e.signal === null || isStr(e.signal)) || !isStr(e.at)) return null;
    if (!Array.isArray(e.lastLines) || !e.lastLines.every(isStr)) return null;
    lastExit = { code: e.code, signal: e.signal, at: e.at, lastLines: e.lastLines };
  }
  return {
    schema: STATE_SCHEMA, id: v.id, seq: v.seq, shimPid: v.shimPid, appPid: v.appPid, port: v.port,
    phase: v.phase as ShimPhase, armed: v.armed, restarts: v.restarts, startedAt: v.startedAt,
    appStartedAt: v.appStartedAt, backoffMs: v.backoffMs, lastExit, error: v.error, updatedAt: v.updatedAt,
  };
}

/** Checks the shim's config; a string says what is wrong (the runtime wrote it, so this is a bug). */
export function parseShimConfig(text: string | undefined): ShimConfig | string {
  if (text === undefined) return `${SHIM_CONFIG_VAR} is not set: the shim is started by Slipway's process runtime`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `${SHIM_CONFIG_VAR} is not JSON`;
  }
  if (!isObj(v)) return `${SHIM_CONFIG_VAR} must be an object`;
  for (const k of ['id', 'command', 'cwd', 'logFile', 'stateFile'] as const) if (!isStr(v[k]) || v[k] === '') return `${k} must be a non-empty string`;
  if (!isInt(v.port) || v.port <= 0 || v.port > 65535) return 'port must be 1..65535';
  if (!isInt(v.graceMs) || v.graceMs < 0) return 'graceMs must be a non-negative integer';
  const b = v.backoff;
  if (!isObj(b) || !isInt(b.initialMs) || !isInt(b.maxMs) || !isInt(b.resetAfterMs) || b.initialMs <= 0 || b.maxMs < b.initialMs) {
    return 'backoff must be {initialMs > 0, maxMs >= initialMs, resetAfterMs}';
  }
  if (!Array.isArray(v.maskValues) || !v.maskValues.every(isStr)) return 'maskValues must be a list of strings';
  if (v.logMaxBytes !== undefined && (!isInt(v.logMaxBytes) || v.logMaxBytes <= 0)) return 'logMaxBytes must be a positive integer';
  const l = v.launch;
  if (!isObj(l) || !isStr(l.file) || l.file === '' || !Array.isArray(l.args) || !l.args.every(isStr)) return 'launch must be {file, args: [string]}';
  if ((l.uid !== undefined && !isInt(l.uid)) || (l.gid !== undefined && !isInt(l.gid))) return 'launch.uid and launch.gid must be integers';
  const launch: Launch = { file: l.file, args: l.args, ...(l.uid !== undefined ? { uid: l.uid } : {}), ...(l.gid !== undefined ? { gid: l.gid } : {}) };
  return {
    id: v.id as string, command: v.command as string, launch, cwd: v.cwd as string, logFile: v.logFile as string,
    stateFile: v.stateFile as string, port: v.port, graceMs: v.graceMs,
    backoff: { initialMs: b.initialMs, maxMs: b.maxMs, resetAfterMs: b.resetAfterMs }, maskValues: v.maskValues,
    ...(v.logMaxBytes === undefined ? {} : { logMaxBytes: v.logMaxBytes }),
  };
}

/** The delay before the next restart: doubling from `initialMs` up to `maxMs`, reset after a long run. */
export function nextBackoff(previousMs: number | null, ranForMs: number, policy: BackoffPolicy): number {
  if (previousMs === null || ranForMs >= policy.resetAfterMs) return policy.initialMs;
  return Math.min(policy.maxMs, previousMs * 2);
}
