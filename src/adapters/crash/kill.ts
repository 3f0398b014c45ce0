// The crash points, armed by the test-only variable SLIPWAY_CRASH_AT=<point>[@<n>]: at that
// point's n-th hit the process writes one line to its stderr (`slipway-crash: <point>@<n>`, in
// server.log for the control plane) and kills itself with SIGKILL — no handler, no flush, as a
// power cut or the OOM killer would. Unset (always, outside the crash tests), the port is noCrash.
import { writeSync } from 'node:fs';
import { parseCrashAt, type CrashPoint } from '../../core/crash-points.js';
import { noCrash, type CrashPoints } from '../../ports/crash.js';

export const CRASH_VAR = 'SLIPWAY_CRASH_AT';

/** The line written just before the kill, for the tests to tell a crash point from another death. */
export const CRASH_PREFIX = 'slipway-crash:';

export const crashPointsFromEnv = (env: NodeJS.ProcessEnv = process.env, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): CrashPoints => {
  const raw = env[CRASH_VAR];
  if (raw === undefined || raw === '') return noCrash;
  const parsed = parseCrashAt(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  const { point, hit } = parsed.value;
  let hits = 0;
  return {
    at: (p: CrashPoint) => {
      if (p !== point || ++hits !== hit) return;
      try {
        writeSync(2, `${CRASH_PREFIX} ${point}@${hit}\n`);
      } catch {
        // No stderr to tell: the kill is what matters.
      }
      kill();
    },
  };
};
