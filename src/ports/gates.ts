// The built-in gates port: the secret scan, the dependency audit and the benchmark comparison, as
// a run's step asks for them. The engine hands over the checkout and what a gate may use; the
// implementation (adapters/gates/builtin.ts over src/gates) reads files and databases itself.
import type { PlannedStep } from '../core/pipeline/plan.js';
import type { Sandbox } from './sandbox.js';
import type { Store } from './store.js';

export interface GateContext {
  runId: string;
  /** The clean checkout the run works in. */
  dir: string;
  /** The artifact built by this run, when the gate runs after the build step. */
  digest: string | undefined;
  /** The stored archive of an artifact (read-only), for the secret scan. */
  artifactPath: (digest: string) => Promise<string>;
  /** The environment steps start from (SLIPWAY_OSV_DB may be set there). */
  baseEnv: Readonly<Record<string, string>>;
  now: Date;
  sandbox: Sandbox;
  /** Where benchmark results and their baselines are kept. */
  store: Pick<Store, 'putBenchResult' | 'baselineBench'>;
  log: (line: string) => void;
  /** Runs a command as a step (sandboxed); `writable` are extra directories it may write. */
  exec: (command: string, env: Record<string, string>, writable?: readonly string[]) => Promise<{ ok: boolean; reason: string; stdout: string }>;
}

export type GateResult = { ok: true } | { ok: false; message: string };

export interface BuiltinGates {
  run(step: PlannedStep, g: GateContext): Promise<GateResult>;
}
