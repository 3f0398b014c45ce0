// Reports of the merge queue, built from what a run recorded: which gate failed, in which step,
// why, the step's last lines and the command that shows the rest; and every retried step.
import type { RunRecord, StepKind, StepRecord } from '../run.js';
import type { QueueReport, StepRetry } from './types.js';

/** Lines of a failed step quoted in a report. */
export const REPORT_OUTPUT_LINES = 15;

export const gateKindLabel = (kind: StepKind): string => {
  switch (kind) {
    case 'build':
      return 'build';
    case 'command':
      return 'command';
    case 'secret-scan':
      return 'secret scan';
    case 'dependency-audit':
      return 'dependency audit';
    case 'bench':
      return 'benchmark';
  }
};

/**
 * The report of a batch run that did not pass: the first step that failed (by when it ended),
 * or, when none did (the checkout or the pipeline file failed), the run's own reason.
 */
export const failureReport = (run: Pick<RunRecord, 'id' | 'reason'>, steps: readonly StepRecord[], outputOf: (step: string) => string[]): QueueReport => {
  const failed = steps.filter((s) => s.status === 'failed').sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''))[0];
  if (!failed) return { kind: 'error', message: `run ${run.id} did not pass: ${firstLine(run.reason) ?? 'no reason recorded'}`, runId: run.id };
  const gateKind = gateKindLabel(failed.kind);
  const reason = failed.reason ?? 'failed';
  const logs = `slipway logs ${run.id} --step ${failed.name}`;
  return {
    kind: 'gate',
    step: failed.name,
    gateKind,
    reason,
    runId: run.id,
    logs,
    output: outputOf(failed.name).slice(-REPORT_OUTPUT_LINES),
    message: `${failed.kind === 'build' ? 'the build' : `gate "${failed.name}" (${gateKind})`} failed in run ${run.id}: ${firstLine(reason) ?? reason}`,
  };
};

/** The report of an item that does not merge cleanly with main. */
export const conflictReport = (files: readonly string[], base: string | undefined, branch: string): QueueReport => ({
  kind: 'conflict',
  files: [...files],
  base: base ?? '',
  message:
    files.length > 0
      ? `${branch} does not merge cleanly with main${base ? ` (${base.slice(0, 12)})` : ''}: conflicts in ${files.slice(0, 10).join(', ')}${files.length > 10 ? `, … (${files.length} files)` : ''}`
      : `${branch} does not merge with main${base ? ` (${base.slice(0, 12)})` : ''}: the histories have nothing in common`,
});

/** Retried steps of a run, from its steps and its `step.retried` events. */
export const retriesOf = (runId: string, steps: readonly StepRecord[], retried: readonly { step: string; previous: string }[]): StepRetry[] =>
  steps
    .filter((s) => s.attempts > 1)
    .map((s) => ({ runId, step: s.name, attempts: s.attempts, previous: retried.filter((e) => e.step === s.name).map((e) => e.previous), status: s.status }));

/** One line per retried step: "test passed on attempt 2 of run r4 (earlier: exited with code 1)". */
export const describeRetry = (r: StepRetry): string =>
  `${r.step} ${r.status === 'passed' ? 'passed' : r.status} on attempt ${r.attempts} in run ${r.runId}${r.previous.length ? ` (earlier: ${r.previous.join('; ')})` : ''}`;

const firstLine = (s: string | undefined): string | undefined => s?.split('\n')[0];

/** The report as the CLI prints it, one line per entry. */
export const formatReport = (report: QueueReport): string[] => {
  switch (report.kind) {
    case 'gate':
      return [
        report.message,
        `  gate:   ${report.step} (${report.gateKind})`,
        `  step:   ${report.step}`,
        `  reason: ${firstLine(report.reason) ?? report.reason}`,
        ...(report.output.length ? ['  output:', ...report.output.map((l) => `    ${l}`)] : []),
        `  log:    ${report.logs}`,
      ];
    case 'conflict':
      return [report.message, ...report.files.map((f) => `  conflict: ${f}`), '  → merge main into the branch (or rebase it), resolve, and queue it again'];
    case 'error':
      return [report.message, ...(report.runId ? [`  log:    slipway logs ${report.runId}`] : [])];
  }
};
