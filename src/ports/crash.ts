// The crash port: the engine calls `at(point)` at each named phase boundary (core/crash-points.ts).
// Off (noCrash), a call costs nothing; the crash tests' adapter kills the process there.
import type { CrashPoint } from '../core/crash-points.js';

export interface CrashPoints {
  at(point: CrashPoint): void;
}

export const noCrash: CrashPoints = { at: () => undefined };
