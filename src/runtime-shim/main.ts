// The per-instance shim: a small detached process (its own session, so it outlives the control
// plane) that runs one app instance with `sh -c`, masks and logs its output, restarts it with
// backoff once armed, records its state in a file, and on SIGTERM stops it (grace, then SIGKILL).
// Protocol: ./protocol.ts. Started by adapters/runtime/process; not meant to be run by hand.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileAtomic } from '../adapters/fs/files.js';
import { groupRunning } from './group.js';
import { openInstanceLog, type InstanceLog } from './log.js';
import { createMasker } from './mask.js';
import { MASK_VARS_VAR, SHIM_CONFIG_VAR, STATE_SCHEMA, nextBackoff, parseShimConfig, type ShimConfig, type ShimState } from './protocol.js';

const parsed = parseShimConfig(process.env[SHIM_CONFIG_VAR]);
if (typeof parsed === 'string') {
  process.stderr.write(`slipway shim: ${parsed}\n`);
  process.exit(2);
}
const config: ShimConfig = parsed;
delete process.env[SHIM_CONFIG_VAR];
// What is left of the environment is the app's (a map without a prototype: keys are the user's).
const appEnv = Object.create(null) as Record<string, string>;
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) appEnv[k] = v;
const maskNames = (appEnv[MASK_VARS_VAR] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
const masker = createMasker([...config.maskValues, ...maskNames.flatMap((n) => (appEnv[n] === undefined ? [] : [appEnv[n]]))]);
const log: InstanceLog = openInstanceLog(config.logFile, masker, config.logMaxBytes === undefined ? {} : { maxBytes: config.logMaxBytes });

const now = (): string => new Date().toISOString();
let state: ShimState = {
  schema: STATE_SCHEMA, id: config.id, seq: 0, shimPid: process.pid, appPid: null, port: config.port,
  phase: 'starting', armed: false, restarts: 0, startedAt: now(), appStartedAt: null, backoffMs: null,
  lastExit: null, error: null, updatedAt: now(),
};

/** Replaces the state file atomically. */
function save(patch: Partial<ShimState>): void {
  state = { ...state, ...patch, seq: state.seq + 1, updatedAt: now() };
  writeFileAtomic(config.stateFile, `${JSON.stringify(state)}\n`, 0o600);
}

let app: ChildProcess | null = null;
/** Resolves when the current app process has exited and its output is logged. */
let appDone: Promise<void> = Promise.resolve();
let appStarted = 0;
let restartTimer: NodeJS.Timeout | null = null;
let stopping = false;

/** Signals the app's whole process group (the app was started as its leader). */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until no process of the group runs (zombies left to reap do not count), at most `ms`; true if it is gone. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    if (!groupRunning(pgid)) return true;
    if (Date.now() >= until) return false;
    await sleep(Math.min(wait, Math.max(1, until - Date.now())));
  }
}

function launch(): void {
  appStarted = Date.now();
  const { file, args, uid, gid } = config.launch;
  const child = spawn(file, args, { cwd: config.cwd, env: appEnv, uid, gid, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  app = child;
  const out = log.sink('out');
  const err = log.sink('err');
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  let done = false;
  let settle = (): void => undefined;
  appDone = new Promise<void>((r) => (settle = r));
  const finish = (code: number | null, signal: string | null, problem?: string): void => {
    if (done) return;
    done = true;
    out.end();
    err.end();
    if (problem !== undefined) log.note(problem);
    onExit(child, code, signal, problem);
    settle();
  };
  child.on('error', (e) => {
    // Only a failure to spawn lands here without an exit (e.g. the release dir is gone).
    if (child.pid === undefined) finish(null, null, `cannot start the app: ${e.message}`);
  });
  // 'close' waits for the output pipes, so the last lines are logged before the exit is recorded;
  // a grandchild holding the pipes open must not delay the record for long.
  child.on('exit', (code, signal) => {
    const t = setTimeout(() => finish(code, signal), 200);
    child.on('close', () => {
      clearTimeout(t);
      finish(code, signal);
    });
  });
  if (child.pid !== undefined) save({ appPid: child.pid, appStartedAt: now(), phase: stopping ? 'stopping' : state.armed ? 'running' : 'starting' });
}

function onExit(child: ChildProcess, code: number | null, signal: string | null, problem?: string): void {
  app = null;
  // Stragglers of the group would keep the port or the pipes: the instance is one unit.
  if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  const lastExit = { code, signal, at: now(), lastLines: log.lastLines() };
  if (stopping) return; // stop() records the end
  if (!state.armed) {
    log.note(`the app exited (${describe(code, signal)}) before it was seen healthy; not restarting`);
    save({ phase: problem !== undefined ? 'failed' : 'exited', appPid: null, lastExit, error: problem ?? null });
    quit(0);
    return;
  }
  const backoffMs = nextBackoff(state.backoffMs, Date.now() - appStarted, config.backoff);
  log.note(`the app exited (${describe(code, signal)}); restarting in ${backoffMs} ms`);
  save({ phase: 'backoff', appPid: null, lastExit, backoffMs });
  restartTimer = setTimeout(() => {
    restartTimer = null;
    state = { ...state, restarts: state.restarts + 1 };
    launch();
  }, backoffMs);
}

const describe = (code: number | null, signal: string | null): string => (signal !== null ? `signal ${signal}` : `code ${code ?? '?'}`);

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (restartTimer !== null) clearTimeout(restartTimer);
  save({ phase: 'stopping' });
  const child = app;
  const pgid = child?.pid;
  if (child !== null && pgid !== undefined) {
    log.note(`${signal}: stopping the app (grace ${config.graceMs} ms)`);
    signalGroup(pgid, 'SIGTERM');
    if (!(await groupGone(pgid, config.graceMs))) {
      log.note(`the app did not stop within ${config.graceMs} ms: SIGKILL`);
      signalGroup(pgid, 'SIGKILL');
      await groupGone(pgid, 2000);
    }
    await Promise.race([appDone, sleep(1000)]);
    const code = child.exitCode;
    const sig = child.signalCode;
    log.note(`stopped (${describe(code, sig)})`);
    save({ phase: 'stopped', appPid: null, lastExit: { code, signal: sig, at: now(), lastLines: log.lastLines() } });
  } else {
    save({ phase: 'stopped', appPid: null });
  }
  quit(0);
}

function quit(code: number): void {
  try {
    log.close();
  } finally {
    process.exit(code);
  }
}

// SIGUSR2 arms the shim: the runtime saw the app healthy, so from now on exits are crashes.
process.on('SIGUSR2', () => {
  if (state.armed) return;
  save({ armed: true, phase: state.phase === 'starting' ? 'running' : state.phase });
});
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGHUP', () => undefined); // a closed terminal is no reason to stop an instance
process.on('uncaughtException', (e) => {
  log.note(`shim error: ${e.stack ?? e.message}`);
  if (app?.pid !== undefined) signalGroup(app.pid, 'SIGKILL');
  try {
    save({ phase: 'failed', appPid: null, error: masker.mask(e.message) });
  } finally {
    quit(1);
  }
});

launch();
