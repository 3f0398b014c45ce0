// Composition of the merge queue in the control plane: its store, settings, the repository that
// git's smart HTTP serves; started after deployments are recovered.
import { openQueueStore } from '../adapters/store/sqlite/queue.js';
import { spawnGitService } from '../adapters/vcs/git/http-backend.js';
import { SlipwayError } from '../core/errors.js';
import { parseBatchCap } from '../core/queue/plan.js';
import type { Engine } from '../engine/engine.js';
import { attachQueue, MergeQueue, queueOf } from '../engine/queue/index.js';
import { homePaths } from '../home/paths.js';
import type { GitHttpOptions } from './git-http.js';
import type { Authenticate } from './auth.js';

export interface QueueHandle {
  /** Stops taking batches; resolves once the queue's loop ended (after the engine canceled its runs). */
  stop(): Promise<void>;
}

/** Opens the queue's store, resumes what was in flight and starts the queue. */
export const startQueue = async (engine: Engine, log: (line: string) => void): Promise<QueueHandle> => {
  const cap = parseBatchCap(process.env.SLIPWAY_QUEUE_BATCH);
  if (!cap.ok) {
    const err = new SlipwayError('config', `the merge queue is off: SLIPWAY_QUEUE_BATCH: ${cap.message}`, 'fix or unset SLIPWAY_QUEUE_BATCH, then restart the control plane (`slipway server stop`)');
    attachQueue(engine, err);
    log(err.message);
    return { stop: () => Promise.resolve() };
  }
  const store = openQueueStore(homePaths(engine.ctx.home).db);
  const queue = new MergeQueue(engine, store, { batchCap: cap.cap, log });
  attachQueue(engine, queue);
  try {
    await queue.start();
  } catch (e) {
    log(`the merge queue could not start: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    stop: async () => {
      await queue.stop();
      store.close();
    },
  };
};

/** What the control plane's HTTP server needs to serve the canonical repository. */
export const gitHttpOptions = (engine: Engine, authenticate: Authenticate): GitHttpOptions => ({
  authenticate,
  repository: async () => {
    const queue = queueOf(engine);
    return { path: await queue.canonical(), app: await queue.appName() };
  },
  gitService: spawnGitService,
});
