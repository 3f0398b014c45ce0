// Built-in gates (secret scan, dependency audit, benchmark comparison) as the engine runs them.
import type { PlannedStep } from '../core/pipeline/plan.js';
import type { EngineContext } from './context.js';

export interface GateContext {
  ctx: EngineContext;
  /** The clean checkout the run works in. */
  dir: string;
  /** The artifact built by this run, when the gate runs after the build step. */
  digest: string | undefined;
  log: (line: string) => void;
}

export type GateResult = { ok: true } | { ok: false; message: string };

export const runBuiltinGate = (step: PlannedStep, g: GateContext): Promise<GateResult> => {
  g.log(`built-in gate "${step.kind}" is not available in this version of Slipway`);
  return Promise.resolve({ ok: false, message: `the built-in ${step.kind} gate is not available yet; remove it from slipway.yaml or upgrade Slipway` });
};
