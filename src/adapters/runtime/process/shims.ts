// Starting, finding and signalling shims (src/runtime-shim), one detached process per instance.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidAlive } from '../../../home/pid.js';
import { groupRunning } from '../../../runtime-shim/group.js';
import { SHIM_CONFIG_VAR, parseShimState, type ShimConfig, type ShimState } from '../../../runtime-shim/protocol.js';

/** The compiled shim, beside this adapter in dist/. */
export const SHIM_PATH = fileURLToPath(new URL('../../../runtime-shim/main.js', import.meta.url));

/**
 * Starts a shim in its own session (`detached`: setsid), so that neither the control plane's death
 * nor a signal to its process group reaches it. Its stdin is closed and its stdout/stderr go to the
 * instance log (only Node's own fatal errors would land there): no pipe ties it to this process.
 * The app's environment and secrets travel in the shim's environment, never in argv.
 */
export function spawnShim(config: ShimConfig, appEnv: Record<string, string>, shimPath = SHIM_PATH): ChildProcess {
  const fd = openSync(config.logFile, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [shimPath], {
      // The shim does not need the release directory: a missing one is the app's failure to report.
      cwd: dirname(config.stateFile),
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...appEnv, [SHIM_CONFIG_VAR]: JSON.stringify(config) },
    });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** The shim's state file, or null when it is missing or not a state file. */
export function readShimState(file: string): ShimState | null {
  try {
    return parseShimState(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
}

/** Whether a process runs under `pid` (a zombie does not count). */
export const isAlive = pidAlive;

/** Whether `pid` is a live shim (its command line names the shim), so that a reused pid is not adopted. */
export function isShimProcess(pid: number, shimPath = SHIM_PATH): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(shimPath);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group `pgid` still runs (a zombie waiting to be reaped does not). */
export const groupAlive = groupRunning;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `done` (2 ms doubling to 50 ms) until it holds or `ms` passed; returns its last answer. */
export async function pollUntil(done: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    if (done()) return true;
    if (Date.now() >= until) return false;
    await sleep(Math.min(wait, Math.max(1, until - Date.now())));
  }
}
