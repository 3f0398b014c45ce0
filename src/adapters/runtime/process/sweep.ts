// Sweeping orphans: shims (and their apps) that an earlier control plane started but that no
// record owns, such as the instances of a start a crash cut off before they were recorded. A
// starting control plane adopts what its store records, then sweeps the rest.

import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SweptInstance } from '../../../ports/runtime.js';
import { checkEnvName } from '../../../core/env-name.js';
import { isInstanceId, type RuntimePaths } from './paths.js';
import { groupAlive, isAlive, isShimProcess, pollUntil, readShimState, signal } from './shims.js';

/** How long an orphan's shim gets to stop its app before SIGKILL (its own grace is unknown here). */
export const SWEEP_GRACE_MS = 5000;

/**
 * Whether the process group led by `pid` is the app of instance `id`: its environment carries
 * SLIPWAY_INSTANCE=<id>, so that a pid reused by an unrelated process is never signalled. A
 * process whose environment cannot be read is not claimed.
 */
export function isAppOf(pid: number, id: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`SLIPWAY_INSTANCE=${id}`);
  } catch {
    return false;
  }
}

async function stateFiles(paths: RuntimePaths): Promise<{ env: string; id: string; file: string }[]> {
  const envs = await readdir(paths.runRoot).catch(() => [] as string[]);
  const out: { env: string; id: string; file: string }[] = [];
  for (const env of envs) {
    if (!checkEnvName(env).ok) continue;
    for (const name of await readdir(paths.runDir(env)).catch(() => [] as string[])) {
      const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
      if (isInstanceId(id)) out.push({ env, id, file: join(paths.runDir(env), name) });
    }
  }
  return out;
}

/**
 * Stops every instance under `paths` that `owned` does not claim: its shim gets SIGTERM (it stops
 * its app within its own grace), then SIGKILL after `graceMs`; an app whose shim is gone gets the
 * same, to its process group. Its state file and temporary directory are removed; its log is kept.
 */
export async function sweepOrphans(paths: RuntimePaths, owned: (id: string) => boolean, shimPath?: string, graceMs = SWEEP_GRACE_MS): Promise<SweptInstance[]> {
  const swept: SweptInstance[] = [];
  for (const { env, id, file } of await stateFiles(paths)) {
    if (owned(id)) continue;
    const st = readShimState(file);
    const pids: number[] = [];
    let killed = false;
    if (st !== null && isShimProcess(st.shimPid, shimPath)) {
      pids.push(st.shimPid);
      signal(st.shimPid, 'SIGTERM');
      if (!(await pollUntil(() => !isAlive(st.shimPid), graceMs + 3000))) {
        signal(st.shimPid, 'SIGKILL');
        killed = true;
        await pollUntil(() => !isAlive(st.shimPid), 1000);
      }
    }
    // Read again: the shim records the app's end as it stops it.
    const appPid = (readShimState(file) ?? st)?.appPid ?? null;
    if (appPid !== null && groupAlive(appPid) && isAppOf(appPid, id)) {
      pids.push(appPid);
      signal(-appPid, 'SIGTERM');
      if (!(await pollUntil(() => !groupAlive(appPid), graceMs))) {
        signal(-appPid, 'SIGKILL');
        killed = true;
        await pollUntil(() => !groupAlive(appPid), 1000);
      }
    }
    if (owned(id)) continue; // adopted meanwhile: leave its files
    await rm(file, { force: true });
    await rm(paths.tmpDir(env, id), { recursive: true, force: true });
    if (pids.length > 0) swept.push({ id, env, pids, killed });
  }
  return swept;
}
