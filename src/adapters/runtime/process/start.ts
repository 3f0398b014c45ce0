// Starting one instance: a free port, a shim, then health probes until the app answers, exits,
// or runs out of time. An app that fails to bind its port is retried on another port.

import { mkdir, rm, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { InstanceSpec, StartFailure } from '../../../ports/runtime.js';
import type { Sandbox } from '../../../ports/sandbox.js';
import { DEFAULT_BACKOFF, isFinalPhase, type BackoffPolicy, type ShimConfig } from '../../../runtime-shim/protocol.js';
import { waitHealthy } from './health.js';
import { isPortFree } from './ports.js';
import { newInstanceId, type RuntimePaths } from './paths.js';
import { signal, spawnShim } from './shims.js';
import { outputLines, tailLines, type Supervisor, type Tracked } from './supervisor.js';

/** Control-plane variables an app inherits by default; nothing else leaks (tokens, master keys). */
export const DEFAULT_INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ'];

export interface StartContext {
  paths: RuntimePaths;
  supervisor: Supervisor;
  sandbox: Sandbox;
  pickPort: () => Promise<number>;
  inheritEnv: readonly string[];
  backoff: BackoffPolicy;
  shimPath?: string;
}

export type StartOne = { ok: true; tracked: Tracked; afterMs: number } | (StartFailure & { tracked: Tracked | null });

const PORT_ATTEMPTS = 3;

/** Starts instance number `index` (1-based) of `spec` from `dir`; on failure its shim is left to the caller to stop. */
export async function startInstance(ctx: StartContext, spec: InstanceSpec, dir: string, index: number): Promise<StartOne> {
  let result: StartOne | null = null;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = await ctx.pickPort();
    result = await tryPort(ctx, spec, dir, index, port);
    if (result.ok || result.reason !== 'exited' || result.tracked === null) return result;
    const taken = result.lastLines.some((l) => l.includes('EADDRINUSE')) || !(await isPortFree(port));
    if (!taken) return result;
    // Someone took the port between our pick and the app's bind: the failed shim is gone
    // (`exited` is final); forget it and try another port.
    ctx.supervisor.untrack(result.tracked);
    await rm(result.tracked.stateFile, { force: true });
    if (attempt === PORT_ATTEMPTS) {
      return { ...result, message: `${result.message}; port ${port} was in use, and so were the ${PORT_ATTEMPTS - 1} before it` };
    }
  }
  return result ?? { ok: false, reason: 'spawn', message: 'no attempt was made', lastLines: [], output: [], tracked: null };
}

/** Gives a directory to the sandbox user when it is not theirs yet (a new one, or one restored). */
async function ownDir(sandbox: Sandbox, dir: string): Promise<void> {
  if (sandbox.uid === null) return;
  const st = await stat(dir);
  if (st.uid !== sandbox.uid || st.gid !== sandbox.gid) await sandbox.own(dir);
}

async function tryPort(ctx: StartContext, spec: InstanceSpec, dir: string, index: number, port: number): Promise<StartOne> {
  const { paths, supervisor } = ctx;
  const id = newInstanceId(spec.env, spec.release, index);
  const label = `${spec.env} v${spec.release} instance ${id}`;
  const tmp = paths.tmpDir(spec.env, id);
  const data = paths.dataDir(spec.env);
  await Promise.all([mkdir(paths.runDir(spec.env), { recursive: true }), mkdir(paths.logDir(spec.env), { recursive: true }), mkdir(data, { recursive: true, mode: 0o700 }), mkdir(tmp, { recursive: true, mode: 0o700 })]);
  await ownDir(ctx.sandbox, data);
  await ownDir(ctx.sandbox, tmp);
  // No prototype: the keys come from config and secrets, and `__proto__` must stay a plain key.
  const appEnv = Object.create(null) as Record<string, string>;
  for (const k of ctx.inheritEnv) {
    const v = process.env[k];
    if (v !== undefined) appEnv[k] = v;
  }
  Object.assign(appEnv, spec.vars, {
    PORT: String(port), SLIPWAY_ENV: spec.env, SLIPWAY_RELEASE: `v${spec.release}`, SLIPWAY_DIGEST: spec.digest,
    SLIPWAY_INSTANCE: id, SLIPWAY_DATA_DIR: data, TMPDIR: tmp, HOME: tmp,
  });
  // The app may write only its data and temporary directories; its release is read-only.
  const launch = ctx.sandbox.confine({ command: spec.command, cwd: dir, writable: [data, tmp], readOnly: [dir], outlivesParent: true });
  const config: ShimConfig = {
    id, command: spec.command, launch, cwd: dir, logFile: paths.logFile(spec.env, id), stateFile: paths.stateFile(spec.env, id), port,
    graceMs: spec.stopGraceMs, backoff: ctx.backoff ?? DEFAULT_BACKOFF, maskValues: (spec.secretValues ?? []).filter((v) => v !== ''),
    ...(spec.logMaxBytes === undefined ? {} : { logMaxBytes: spec.logMaxBytes }),
  };
  const t0 = performance.now();
  const child = spawnShim(config, ctx.sandbox.env(appEnv), ctx.shimPath);
  const tracked: Tracked = {
    info: {
      id, env: spec.env, release: spec.release, digest: spec.digest, pid: 0, port, url: `http://127.0.0.1:${port}`,
      startedAt: new Date().toISOString(), restarts: 0, state: 'starting', log: config.logFile,
    },
    stateFile: config.stateFile, health: spec.health, graceMs: spec.stopGraceMs, shimPid: child.pid ?? 0, child, state: null,
    supervising: false, stopping: false, lost: false, seenExitAt: null, seenRestarts: 0, waiters: new Set(), probe: null,
  };
  const spawnError = new Promise<string>((resolve) => child.once('error', (e) => resolve(e.message)));
  let spawnProblem: string | null = null;
  void spawnError.then((m) => (spawnProblem = m));
  if (child.pid === undefined) {
    return { ok: false, reason: 'spawn', message: `${label}: cannot start the shim: ${await spawnError}`, lastLines: [], output: [], port, dir, tracked: null };
  }
  supervisor.track(tracked);
  const lastLines = async (): Promise<string[]> => tracked.state?.lastExit?.lastLines ?? (await tailLines(config.logFile));
  const failure = async (reason: StartFailure['reason'], message: string, more: Partial<StartFailure> = {}): Promise<StartOne> => ({
    ok: false, reason, message, lastLines: more.lastLines ?? (await lastLines()), output: await outputLines(config.logFile), port, dir, tracked,
    ...(more.status === undefined ? {} : { status: more.status }), ...(more.exit === undefined ? {} : { exit: more.exit }),
  });

  // The shim records the app's pid as soon as it has spawned it.
  const deadline = t0 + spec.health.startTimeoutMs;
  const ended = (): string | null => {
    const st = tracked.state;
    if (st !== null && isFinalPhase(st.phase)) return st.phase;
    if (spawnProblem !== null || !supervisor.shimAlive(tracked)) return 'gone';
    return null;
  };
  await supervisor.waitFor(tracked, () => tracked.state?.appPid != null || ended() !== null, deadline - performance.now());
  const st = tracked.state;
  if (st?.appPid != null) {
    tracked.info.pid = st.appPid;
    tracked.info.startedAt = st.startedAt;
    supervisor.emit({ kind: 'instance.started', instance: { ...tracked.info } });
  }

  const health = await waitHealthy({
    port, path: spec.health.path, intervalMs: spec.health.intervalMs, timeoutMs: spec.health.timeoutMs,
    deadlineMs: Math.max(0, deadline - performance.now()), abort: ended, wake: (l) => supervisor.wake(tracked, l),
  });
  if (health.ok) {
    const afterMs = Math.round(performance.now() - t0);
    // Arm the shim (from now on it restarts crashes) and wait for it to say so: a crash right
    // after `start` returns must already be restarted.
    signal(tracked.shimPid, 'SIGUSR2');
    const armed = (await supervisor.waitFor(tracked, () => tracked.state?.armed === true || ended() !== null, 5000)) && tracked.state?.armed === true;
    if (armed) {
      tracked.supervising = true;
      tracked.seenExitAt = tracked.state?.lastExit?.at ?? null;
      tracked.info.state = 'healthy';
      supervisor.emit({ kind: 'instance.healthy', instance: { ...tracked.info }, afterMs });
      return { ok: true, tracked, afterMs };
    }
  }
  supervisor.refresh(tracked);
  const final = tracked.state;
  if (health.ok || health.reason === 'aborted') {
    const exit = final?.lastExit ?? null;
    if (final?.phase === 'failed' || exit === null) {
      const why = final?.error ?? spawnProblem ?? 'the shim exited before starting the app';
      return failure('spawn', `${label}: ${why}`);
    }
    const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`;
    return failure('exited', `${label}: "${spec.command}" ${how} before answering GET ${spec.health.path} on 127.0.0.1:${port}`, { lastLines: exit.lastLines, exit: { code: exit.code, signal: exit.signal } });
  }
  const last = health.last;
  const status = last !== null && !last.ok && last.kind === 'status' ? last.status : undefined;
  if (health.reason === 'rejected') {
    // A definite "no" (404, 405, 401…): the path is wrong, not the app slow; say so at once.
    return failure('unhealthy', `${label}: GET ${spec.health.path} answered ${status ?? '?'}: set run.health.path to a path the app answers with 2xx`, { status });
  }
  if (status !== undefined) {
    return failure('unhealthy', `${label}: GET ${spec.health.path} answered ${status}, not 2xx, until the start timeout (${spec.health.startTimeoutMs} ms)`, { status });
  }
  const probe = last === null ? 'no probe was made' : `last probe: ${last.ok ? 'ok' : last.message}`;
  return failure('timeout', `${label}: no 2xx answer to GET ${spec.health.path} on 127.0.0.1:${port} within the start timeout (${spec.health.startTimeoutMs} ms; ${probe}); does the app listen on $PORT?`);
}
