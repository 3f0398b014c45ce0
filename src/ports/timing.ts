// The timing port: marks of the phases on the latency-critical path of a run (trigger → first
// step, and each step), to find where the time goes. The control plane and the CLI print them when
// SLIPWAY_TRACE_TIMING=1 (adapters/timing); otherwise a mark costs nothing.
export interface Timing {
  mark(phase: string): void;
}

export const noTiming: Timing = { mark: () => undefined };
