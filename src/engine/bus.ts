// In-process notifications of what the engine does, for live progress (the server streams them to
// CLIs and the dashboard). The store remains the record; the bus only says "something changed".
import { EventEmitter } from 'node:events';
import type { LogLine, RunStatus, StepStatus } from '../core/run.js';
import type { StoredEvent } from '../core/events/chain.js';

export type EngineNotice =
  | { type: 'run'; runId: string; status: RunStatus; digest?: string; reason?: string }
  | { type: 'step'; runId: string; step: string; status: StepStatus; at: string; exitCode?: number; reason?: string; attempt?: number }
  | { type: 'log'; line: LogLine }
  | { type: 'event'; event: StoredEvent };

export class Bus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(n: EngineNotice): void {
    this.emitter.emit('notice', n);
  }

  /** How many subscribers there are now (a stream that ended must have left none behind). */
  listenerCount(): number {
    return this.emitter.listenerCount('notice');
  }

  /** Subscribes to every notice; returns the function that unsubscribes. */
  subscribe(fn: (n: EngineNotice) => void): () => void {
    this.emitter.on('notice', fn);
    return () => this.emitter.off('notice', fn);
  }
}
