// Live progress of a run: a redrawn task list on a terminal, plain timestamped lines elsewhere
// (CI logs, pipes), so the same command reads well in both places.
import type { LogLine, RunRecord, StepRecord, StepStatus } from '../core/run.js';

export type StreamItem =
  | { type: 'snapshot'; run: RunRecord; steps: StepRecord[] }
  | { type: 'log'; line: LogLine }
  | { type: 'step'; runId: string; step: string; status: StepStatus; at: string; exitCode?: number; reason?: string }
  | { type: 'run'; runId: string; status: RunRecord['status']; digest?: string; reason?: string }
  | { type: 'end'; run: RunRecord; steps: StepRecord[] };

export interface Progress {
  handle(item: StreamItem): void;
  finish(): void;
}

const SYMBOL: Record<StepStatus, string> = { pending: '·', running: '▸', passed: '✔', failed: '✖', canceled: '■', skipped: '−' };
const time = (iso: string): string => iso.slice(11, 23);

/** Plain lines: every log line and every step transition, each with its time. */
export const plainProgress = (write: (s: string) => void): Progress => ({
  handle(item) {
    switch (item.type) {
      case 'snapshot':
        write(`${time(item.run.createdAt)} run ${item.run.id} of ${item.run.commit.slice(0, 12)} (${item.run.message}): ${item.steps.map((s) => s.name).join(', ')}\n`);
        break;
      case 'log':
        write(`${time(item.line.at)} [${item.line.step}] ${item.line.line}\n`);
        break;
      case 'step':
        if (item.status !== 'pending') write(`${time(item.at)} ${SYMBOL[item.status]} ${item.step} ${item.status}${item.reason ? `: ${item.reason}` : ''}\n`);
        break;
      default:
        break;
    }
  },
  finish() {},
});

interface TaskRow {
  name: string;
  status: StepStatus;
  startedAt?: number;
  finishedAt?: number;
  last?: string;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A task list redrawn in place on a terminal, with each running step's latest output line. */
export const terminalProgress = (stream: NodeJS.WriteStream): Progress => {
  const rows = new Map<string, TaskRow>();
  let drawn = 0;
  let frame = 0;
  let header = '';
  const secs = (r: TaskRow): string => {
    if (r.startedAt === undefined) return '';
    const end = r.finishedAt ?? Date.now();
    return `${((end - r.startedAt) / 1000).toFixed(1)}s`;
  };
  const draw = (): void => {
    const width = Math.max(40, stream.columns || 100);
    const lines = [header];
    for (const r of rows.values()) {
      const sym = r.status === 'running' ? SPINNER[frame % SPINNER.length] ?? '▸' : SYMBOL[r.status];
      let line = ` ${sym} ${r.name.padEnd(14)} ${r.status.padEnd(8)} ${secs(r).padStart(7)}`;
      if (r.status === 'running' && r.last) line += `  ${r.last}`;
      lines.push(line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line);
    }
    let out = drawn > 0 ? `\x1b[${drawn}F` : '';
    for (const l of lines) out += `\x1b[2K${l}\n`;
    stream.write(out);
    drawn = lines.length;
  };
  const timer = setInterval(() => {
    frame++;
    if (drawn > 0) draw();
  }, 100);
  timer.unref();
  return {
    handle(item) {
      switch (item.type) {
        case 'snapshot':
          header = `run ${item.run.id} · ${item.run.commit.slice(0, 12)} · ${item.run.message}`;
          for (const s of item.steps) {
            rows.set(s.name, {
              name: s.name,
              status: s.status,
              startedAt: s.startedAt ? Date.parse(s.startedAt) : undefined,
              finishedAt: s.finishedAt ? Date.parse(s.finishedAt) : undefined,
            });
          }
          break;
        case 'log': {
          const r = rows.get(item.line.step);
          if (r) r.last = item.line.line.replace(/\s+/g, ' ').trim();
          return; // redrawn by the timer, not per line
        }
        case 'step': {
          const r = rows.get(item.step);
          if (!r) break;
          r.status = item.status;
          if (item.status === 'running') r.startedAt = Date.parse(item.at);
          else if (item.status !== 'pending') r.finishedAt = Date.parse(item.at);
          break;
        }
        default:
          break;
      }
      draw();
    },
    finish() {
      clearInterval(timer);
      if (drawn > 0) draw();
    },
  };
};
