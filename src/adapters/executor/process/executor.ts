// The local process executor: each step runs under `sh -c` as the leader of its own process group,
// so that a timeout or a cancel stops everything the step started, not just the shell.
import { spawn } from 'node:child_process';
import type { Executor, RunningStep, StepCommand, StepOutcome } from '../../../ports/executor.js';
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

export const createProcessExecutor = (): Executor => ({
  start(cmd: StepCommand): RunningStep {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const child = spawn('sh', ['-c', cmd.command], {
      cwd: cmd.cwd,
      env: cmd.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
