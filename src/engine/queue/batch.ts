// One batch of the merge queue, applied: build the merged tree (main + each item, one merge
// commit each), run every gate on it, then move main by compare-and-swap, bisect, or send back.
import { MAIN_REF } from '../../core/queue/hook.js';
import { onBatchFailure } from '../../core/queue/plan.js';
import { conflictReport, describeRetry, failureReport, retriesOf } from '../../core/queue/report.js';
import type { QueueBatch, QueueItem, QueueReport } from '../../core/queue/types.js';
import type { RunRecord } from '../../core/run.js';
import type { QueueDeps } from './deps.js';

/** The merge commit's message: which item, from where, what it says. */
const mergeMessage = (item: QueueItem): string => `Merge ${item.id} (${item.branch}) into main\n\n${item.subject}\n\nQueued by ${item.actor}; tested by Slipway's merge queue.`;

/**
 * Builds the merged tree of a batch on the current main. An item that conflicts with main is
 * sent back as a conflict at once; one that merges with main but not with the items before it in
 * the batch is left queued for the next batch. Undefined when nothing is left to test.
 */
export const buildBatch = async (d: QueueDeps, items: QueueItem[], base: string | undefined): Promise<{ tip: string; included: QueueItem[] } | undefined> => {
  let tip = base;
  const included: QueueItem[] = [];
  for (const item of items) {
    try {
      if (tip === undefined) {
        // No main yet: the first change becomes main as it is.
        tip = item.sha;
        included.push(item);
        continue;
      }
      const r = await d.engine.ctx.canonical.mergeOnto(tip, item.sha, mergeMessage(item));
      if (r.ok) {
        tip = r.commit;
        included.push(item);
        continue;
      }
      if (included.length > 0) {
        const alone = base === undefined ? { ok: true as const } : await d.engine.ctx.canonical.mergeOnto(base, item.sha, mergeMessage(item));
        if (alone.ok) {
          // It clashes with a change ahead of it, not with main: it waits for the next batch.
          await d.store.updateItem(item.id, { clearChunk: true }, d.now());
          d.log(`${item.id} conflicts with ${included.map((i) => i.id).join(', ')} in the same batch; it is tested after them`);
          continue;
        }
        await sendBack(d, item, 'conflict', conflictReport(alone.files, base, item.branch));
        continue;
      }
      await sendBack(d, item, 'conflict', conflictReport(r.files, base, item.branch));
    } catch (e) {
      await sendBack(d, item, 'refused', { kind: 'error', message: `${item.id} could not be merged: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  return tip === undefined || included.length === 0 ? undefined : { tip, included };
};

/** Records an item's final refusal (a gate, an error) or conflict, with its report. */
export const sendBack = async (d: QueueDeps, item: QueueItem, state: 'refused' | 'conflict', report: QueueReport): Promise<void> => {
  const at = d.now();
  await d.store.updateItem(item.id, { state, report, finishedAt: at, clearChunk: true }, at);
  await d.event(`queue.${state}`, item.id, { branch: item.branch, commit: item.sha, report });
  d.log(`${item.id} (${item.branch}) ${state === 'conflict' ? 'does not merge cleanly' : 'was refused'}: ${report.message}`);
};

/** Starts the batch's run on the merged commit and follows it; a failed step stops the run early. */
export const runBatch = async (d: QueueDeps, batch: QueueBatch): Promise<RunRecord | { error: string }> => {
  const { engine } = d;
  let run: RunRecord;
  try {
    run = await engine.startRun({ ref: batch.tip, trigger: 'queue', repo: d.canonical });
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  // The control plane began to stop while the run was being created: it would not be canceled otherwise.
  if (d.stopping()) engine.cancel(run.id, 'the control plane is stopping');
  await d.store.updateBatch(batch.id, { runId: run.id });
  for (const id of batch.items) {
    const item = await d.store.getItem(id);
    if (item) await d.store.updateItem(id, { runIds: [...item.runIds, run.id] }, d.now());
  }
  await d.event('queue.testing', batch.id, { items: batch.items, base: batch.base ?? null, tip: batch.tip, run: run.id });
  d.log(`batch ${batch.id} (${batch.items.join(', ')}) is tested as ${batch.tip.slice(0, 12)} by run ${run.id}`);
  return watchRun(d, run.id);
};

/** Waits for a run to end, canceling it as soon as one step failed: the batch cannot merge anyway. */
const watchRun = async (d: QueueDeps, runId: string): Promise<RunRecord> => {
  const { engine } = d;
  const stop = (step: string): void => void engine.cancel(runId, `stopped early: step "${step}" failed, so this batch cannot merge`);
  const unsubscribe = engine.ctx.bus.subscribe((n) => {
    if (n.type === 'step' && n.runId === runId && n.status === 'failed') stop(n.step);
  });
  try {
    const failed = (await engine.ctx.store.getSteps(runId)).find((s) => s.status === 'failed');
    if (failed) stop(failed.name);
    const run = await engine.waitFor(runId);
    if (!run) throw new Error(`run ${runId} disappeared`);
    return run;
  } finally {
    unsubscribe();
  }
};

/** Records the retried steps of a run on the items it tested. */
const recordRetries = async (d: QueueDeps, batch: QueueBatch, runId: string): Promise<void> => {
  const { store } = d.engine.ctx;
  const steps = await store.getSteps(runId);
  if (!steps.some((s) => s.attempts > 1)) return;
  const events = await store.listEvents({ subject: runId, limit: 10_000 });
  const retried = events.filter((e) => e.kind === 'step.retried').map((e) => e.data as { step: string; previous: string });
  const found = retriesOf(runId, steps, retried);
  for (const id of batch.items) {
    const item = await d.store.getItem(id);
    if (item) await d.store.updateItem(id, { retries: [...item.retries, ...found] }, d.now());
  }
  for (const r of found) d.log(`batch ${batch.id}: ${describeRetry(r)}`);
};

/**
 * Applies the outcome of a batch's run: a green run moves main by compare-and-swap from the main
 * it was built on (a lost race puts the items back in the queue, to be tested on the new main);
 * a red one is bisected, or its single item is refused with the report.
 */
export const settleBatch = async (d: QueueDeps, batch: QueueBatch, outcome: RunRecord | { error: string }): Promise<void> => {
  const at = d.now();
  if ('error' in outcome) {
    return failBatch(d, batch, { kind: 'error', message: `the pipeline could not start on ${batch.tip.slice(0, 12)}: ${outcome.error}` });
  }
  const run = outcome;
  await recordRetries(d, batch, run.id);
  if (run.status === 'passed') {
    const cas = await d.engine.ctx.canonical.casRef(MAIN_REF, batch.tip, batch.base, `slipway queue: ${batch.items.join(', ')} (run ${run.id})`);
    if (cas.ok) {
      d.engine.ctx.crash?.at('merge.main-moved');
      await d.markMain(batch.tip);
      return d.merged(batch, run);
    }
    const reason = `main moved from ${batch.base?.slice(0, 12) ?? '(none)'} to ${cas.current?.slice(0, 12) ?? '(none)'} while ${batch.id} was tested; testing again on the new main`;
    await d.store.updateBatch(batch.id, { state: 'stale', reason, finishedAt: at });
    for (const id of batch.items) await d.store.updateItem(id, { state: 'queued' }, at);
    await d.event('queue.restarted', batch.id, { items: batch.items, reason, run: run.id });
    d.log(reason);
    return;
  }
  const steps = await d.engine.ctx.store.getSteps(run.id);
  const logs = await d.engine.ctx.store.readLogs(run.id, 0, 100_000);
  const report = failureReport(run, steps, (step) => logs.filter((l) => l.step === step && l.stream !== 'system').map((l) => l.line));
  return failBatch(d, batch, report);
};

const failBatch = async (d: QueueDeps, batch: QueueBatch, report: QueueReport): Promise<void> => {
  const at = d.now();
  await d.store.updateBatch(batch.id, { state: 'failed', reason: report.message, finishedAt: at });
  const decision = onBatchFailure(batch.id, batch.items);
  if (decision.kind === 'refuse') {
    const item = await d.store.getItem(decision.id);
    if (item) await sendBack(d, item, 'refused', report);
    return;
  }
  for (const c of decision.chunks) for (const id of c.ids) await d.store.updateItem(id, { state: 'queued', chunk: c.chunk }, at);
  await d.event('queue.bisected', batch.id, { items: batch.items, chunks: decision.chunks, reason: report.message });
  d.log(`batch ${batch.id} failed (${report.message}); bisecting: ${decision.chunks.map((c) => `[${c.ids.join(', ')}]`).join(' then ')}`);
};
