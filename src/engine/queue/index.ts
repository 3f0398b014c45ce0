// The merge queue of each engine (one per control plane), for the routes that serve it.
import { SlipwayError } from '../../core/errors.js';
import type { Engine } from '../engine.js';
import type { MergeQueue } from './queue.js';

export { MergeQueue, type Enqueued, type QueueOptions } from './queue.js';

const queues = new WeakMap<Engine, MergeQueue | SlipwayError>();

/** Registers the engine's queue, or the error that keeps it from working (a bad setting). */
export const attachQueue = (engine: Engine, queue: MergeQueue | SlipwayError): void => void queues.set(engine, queue);

/** The engine's merge queue; throws the reason when there is none. */
export const queueOf = (engine: Engine): MergeQueue => {
  const q = queues.get(engine);
  if (q === undefined) throw new SlipwayError('unavailable', 'the merge queue is not running in this control plane', 'restart it: `slipway server stop`, then any command starts it again');
  if (q instanceof SlipwayError) throw q;
  return q;
};
