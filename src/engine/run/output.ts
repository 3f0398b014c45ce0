// A run's step output: every line masked (a streaming masker per step and stream, so that a
// secret split across lines is still caught), stored, published, and the last lines of each step
// kept to quote in the reason of a failed step.
import type { EngineContext } from '../context.js';
import { isoNow } from '../context.js';
import type { MaskStream } from '../../ports/env-config.js';
import { failureTail } from '../../core/pipeline/output-tail.js';

/** How many output lines of a failed step are quoted in the run's reason, and how many are kept to choose them from. */
const TAIL_LINES = 12;
const TAIL_KEPT = 120;

export type OutputStream = 'stdout' | 'stderr' | 'system';

export class StepOutput {
  private readonly tails = new Map<string, string[]>();
  /** One streaming masker per step and output stream, so that a value split across lines is masked. */
  private readonly masking = new Map<string, { stream: MaskStream; partial: string }>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly runId: string,
  ) {}

  /**
   * Logs a line of a step, masked: the step's output goes through a streaming masker (a held-back
   * tail that could start a secret waits for the next line); Slipway's own lines are masked whole.
   */
  log(step: string, stream: OutputStream, text: string): void {
    if (stream === 'system') {
      this.emitLine(step, stream, this.ctx.envConfig.masker().mask(text));
      return;
    }
    const key = `${step}\0${stream}`;
    let m = this.masking.get(key);
    if (!m) {
      m = { stream: this.ctx.envConfig.masker().stream(), partial: '' };
      this.masking.set(key, m);
    }
    const lines = (m.partial + m.stream.push(`${text}\n`)).split('\n');
    m.partial = lines.pop() ?? '';
    for (const l of lines) this.emitLine(step, stream, l);
  }

  /** Emits what the step's maskers held back (at the end of each command). */
  flush(step: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${step}\0${stream}`;
      const m = this.masking.get(key);
      if (!m) continue;
      this.masking.delete(key);
      const lines = (m.partial + m.stream.end()).split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const l of lines) this.emitLine(step, stream, l);
    }
  }

  /** The last output lines of a step worth quoting (its own, not Slipway's; no npm usage text), masked. */
  tail(step: string): readonly string[] {
    return failureTail(this.tails.get(step) ?? [], TAIL_LINES);
  }

  private emitLine(step: string, stream: OutputStream, text: string): void {
    const line = this.ctx.store.appendLog({ runId: this.runId, step, at: isoNow(this.ctx), stream, line: text });
    this.ctx.bus.publish({ type: 'log', line });
    if (stream === 'system') return;
    const tail = this.tails.get(step) ?? [];
    tail.push(text);
    if (tail.length > TAIL_KEPT) tail.shift();
    this.tails.set(step, tail);
  }
}
