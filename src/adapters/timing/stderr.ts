// Timing marks on stderr (the control plane's stderr is its log, server.log), one line each:
// `slipway-timing <wall clock µs> <who>: <phase>`, comparable across processes (the orchestrator
// bench merges the CLI's and the control plane's into one breakdown). Off unless
// SLIPWAY_TRACE_TIMING=1.
import { noTiming, type Timing } from '../../ports/timing.js';

export const TIMING_VAR = 'SLIPWAY_TRACE_TIMING';

/** A line's prefix, for readers of the log. */
export const TIMING_PREFIX = 'slipway-timing';

export const timingFromEnv = (who: string, env: NodeJS.ProcessEnv = process.env): Timing => {
  if (env[TIMING_VAR] !== '1') return noTiming;
  return {
    mark: (phase) => {
      const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
      process.stderr.write(`${TIMING_PREFIX} ${us} ${who}: ${phase}\n`);
    },
  };
};
