// The executor port: runs one pipeline step's command. The process adapter runs it locally under
// `sh -c` in a process group of its own; runners on other machines implement the same port later.

export interface StepCommand {
  command: string;
  cwd: string;
  env: Record<string, string>;
  /** Directories besides `cwd` the step may write (the sandbox lets it write nothing else). */
  writable?: readonly string[];
  timeoutMs: number;
  /** Called for every complete output line (and a final partial one), in order per stream. */
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

export type StepOutcome =
  | { ok: true; exitCode: 0; durationMs: number }
  | { ok: false; reason: 'exit'; exitCode: number; durationMs: number }
  | { ok: false; reason: 'signal'; signal: string; durationMs: number }
  | { ok: false; reason: 'timeout'; durationMs: number }
  | { ok: false; reason: 'canceled'; durationMs: number }
  | { ok: false; reason: 'spawn'; message: string; durationMs: number };

export interface RunningStep {
  readonly pid: number | undefined;
  readonly done: Promise<StepOutcome>;
  /** Stops the step's whole process group (SIGTERM, then SIGKILL after a grace); idempotent. */
  cancel(): void;
}

export interface Executor {
  start(cmd: StepCommand): RunningStep;
}
