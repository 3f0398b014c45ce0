// Following a run to its end: live progress, Ctrl-C cancels the run (not just the CLI), and the
// outcome becomes the exit code.
import type { RunRecord, StepRecord } from '../core/run.js';
import type { CliContext } from './context.js';
import { plainProgress, terminalProgress, type StreamItem } from './progress.js';

export interface FollowResult {
  run: RunRecord;
  steps: StepRecord[];
}

export const followRun = async (ctx: CliContext, runId: string, opts: { json: boolean; cancelOnSignal: boolean }): Promise<FollowResult> => {
  const client = await ctx.client();
  const progress = opts.json ? { handle: () => undefined, finish: () => undefined } : ctx.isTTY ? terminalProgress(process.stdout) : plainProgress(ctx.out);
  let canceling = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (canceling) return;
    canceling = true;
    ctx.err(`\n${sig}: canceling run ${runId}…\n`);
    client.request('POST', `/v1/runs/${runId}/cancel`, { reason: `canceled by ${sig} from the CLI` }).catch((e: unknown) => {
      ctx.err(`could not cancel: ${e instanceof Error ? e.message : String(e)}\n`);
    });
  };
  if (opts.cancelOnSignal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let end: FollowResult | undefined;
  try {
    for await (const item of client.stream<StreamItem>(`/v1/runs/${runId}/stream`)) {
      progress.handle(item);
      if (item.type === 'end') end = { run: item.run, steps: item.steps };
    }
  } finally {
    progress.finish();
    if (opts.cancelOnSignal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  if (!end) {
    const r = await client.request<{ run: RunRecord; steps: StepRecord[] }>('GET', `/v1/runs/${runId}`);
    end = r;
  }
  return end;
};

export const runExitCode = (run: RunRecord): number => (run.status === 'passed' ? 0 : run.status === 'canceled' ? 130 : 1);

/** The human summary of a finished run. */
export const summarise = (ctx: CliContext, r: FollowResult): void => {
  const { run } = r;
  const took = run.startedAt && run.finishedAt ? ` in ${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)}s` : '';
  if (run.status === 'passed') {
    ctx.out(`\n✔ run ${run.id} passed${took}${run.digest ? `\n  artifact ${run.digest}` : ''}\n`);
  } else {
    ctx.err(`\n✖ run ${run.id} ${run.status}${took}\n${run.reason ? `${run.reason}\n` : ''}  full log: slipway logs ${run.id}\n`);
  }
};
