// The local process executor: each step runs under `sh -c` as the leader of its own process group,
// so that a timeout or a cancel stops everything the step started, not just the shell; and inside
// the sandbox, which lets it write only its work tree and a private HOME/TMPDIR removed after it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Executor, RunningStep, StepCommand, StepOutcome } from '../../../ports/executor.js';
import type { Sandbox } from '../../../ports/sandbox.js';
import { LineSplitter } from './lines.js';

/** Time between SIGTERM and SIGKILL when a step is stopped. */
const KILL_GRACE_MS = 3000;

const killGroup = (pid: number | undefined, signal: NodeJS.Signals): void => {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
};

/** A private directory for one step: its HOME and TMPDIR (npm and friends need both writable). */
const privateDir = (sandbox: Sandbox): string => {
  const dir = join(sandbox.dir, 'tmp', `step-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (sandbox.uid !== null && sandbox.gid !== null) chownSync(dir, sandbox.uid, sandbox.gid);
  return dir;
};

/**
 * npm's cache, when it lies in the sandbox area (the control plane puts it there): created owned
 * by the sandbox user and writable by every step, so that it outlives each step's private HOME.
 * A cache the user set elsewhere is left as it is.
 */
const sharedCaches = (sandbox: Sandbox, env: Record<string, string>): string[] => {
  const cache = env.npm_config_cache;
  if (cache === undefined || !cache.startsWith(`${sandbox.dir}/`)) return [];
  const created = mkdirSync(cache, { recursive: true, mode: 0o700 });
  if (created !== undefined && sandbox.uid !== null && sandbox.gid !== null) {
    for (let d = cache; d.startsWith(created); d = dirname(d)) chownSync(d, sandbox.uid, sandbox.gid);
  }
  return [cache];
};

export const createProcessExecutor = (options: { sandbox: Sandbox }): Executor => ({
  start(cmd: StepCommand): RunningStep {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const { sandbox } = options;
    const own = privateDir(sandbox);
    const confined = sandbox.confine({ command: cmd.command, cwd: cmd.cwd, writable: [cmd.cwd, own, ...(cmd.writable ?? []), ...sharedCaches(sandbox, cmd.env)], readOnly: [] });
    const child = spawn(confined.file, confined.args, {
      cwd: cmd.cwd,
      env: sandbox.env({ ...cmd.env, HOME: own, TMPDIR: own }),
      uid: confined.uid,
      gid: confined.gid,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.on('close', () => rmSync(own, { recursive: true, force: true }));
    let stopReason: 'timeout' | 'canceled' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'canceled'): void => {
      if (stopReason || child.exitCode !== null) return;
      stopReason = why;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timeout = setTimeout(() => stop('timeout'), cmd.timeoutMs);
    timeout.unref();

    const out = new LineSplitter((l) => cmd.onLine('stdout', l));
    const err = new LineSplitter((l) => cmd.onLine('stderr', l));
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));

    // A step's shell may leave a background process holding its output open; once the shell has
    // exited, give the pipes a moment to drain, then stop the rest of the group and close them.
    child.on('exit', () => {
      setTimeout(() => {
        killGroup(child.pid, 'SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
      }, 500).unref();
    });
    const done = new Promise<StepOutcome>((resolve) => {
      child.on('error', (e) => {
        clearTimeout(timeout);
        rmSync(own, { recursive: true, force: true });
        resolve({ ok: false, reason: 'spawn', message: e.message, durationMs: elapsed() });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timeout);
        out.end();
        err.end();
        // The shell is gone; make sure nothing it left behind in its group survives.
        if (stopReason) {
          killGroup(child.pid, 'SIGKILL');
          if (killTimer) clearTimeout(killTimer);
        }
        const durationMs = elapsed();
        if (stopReason) resolve({ ok: false, reason: stopReason, durationMs });
        else if (code === 0) resolve({ ok: true, exitCode: 0, durationMs });
        else if (code !== null) resolve({ ok: false, reason: 'exit', exitCode: code, durationMs });
        else resolve({ ok: false, reason: 'signal', signal: signal ?? 'unknown', durationMs });
      });
    });
    return { pid: child.pid, done, cancel: () => stop('canceled') };
  },
});
