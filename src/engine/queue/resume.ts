// The merge queue after a restart of the control plane: finish, test again or release what the
// previous one left in flight, judging each batch by where main is now.
import { MAIN_REF } from '../../core/queue/hook.js';
import type { QueueBatch } from '../../core/queue/types.js';
import type { RunRecord } from '../../core/run.js';
import { settleBatch } from './batch.js';
import type { QueueDeps } from './deps.js';

/**
 * A batch whose commit is main already merged; a batch whose run passed and whose base is still
 * main merges now; any other batch under test is tested again (its run was interrupted). Merged
 * batches that were never released are released if they are still main.
 */
export const resumeQueue = async (d: QueueDeps, release: (batch: QueueBatch, run: RunRecord) => Promise<void>): Promise<void> => {
  const runs = d.engine.ctx.store;
  // Batches merged here are released by d.merged; the release is recorded only once their
  // deployments are, so the loop over unreleased batches below must not release them a second time.
  const releasedHere = new Set<string>();
  for (const batch of await d.store.batchesIn('testing')) {
    const main = await d.engine.ctx.canonical.readRef(MAIN_REF);
    const run = batch.runId ? await runs.getRun(batch.runId) : undefined;
    if (run && main === batch.tip) {
      await d.merged(batch, run);
      releasedHere.add(batch.id);
      continue;
    }
    if (run?.status === 'passed' && main === batch.base) {
      await settleBatch(d, batch, run);
      releasedHere.add(batch.id);
      continue;
    }
    const at = d.now();
    const reason = 'the control plane stopped while this batch was tested; testing it again';
    await d.store.updateBatch(batch.id, { state: 'interrupted', reason, finishedAt: at });
    for (const id of batch.items) await d.store.updateItem(id, { state: 'queued' }, at);
    await d.event('queue.resumed', batch.id, { items: batch.items, run: batch.runId ?? null, reason });
    d.log(`batch ${batch.id} (${batch.items.join(', ')}) was interrupted; it is tested again`);
  }
  // An item left "testing" without a batch under test (a crash between two writes) waits again.
  for (const item of await d.store.listItems({ states: ['testing'] })) {
    const b = item.batchId ? await d.store.getBatch(item.batchId) : undefined;
    if (b?.state !== 'testing') await d.store.updateItem(item.id, { state: 'queued' }, d.now());
  }
  for (const batch of await d.store.undeployedMerged()) {
    if (releasedHere.has(batch.id)) continue;
    const run = batch.runId ? await runs.getRun(batch.runId) : undefined;
    if (run && (await d.engine.ctx.canonical.readRef(MAIN_REF)) === batch.tip) await release(batch, run);
    else await d.store.updateBatch(batch.id, { deployed: true });
  }
};
