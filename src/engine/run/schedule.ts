// Applies the pure scheduler's decisions (core/pipeline/plan.ts, nextDecision) to a run: starts
// the steps it names, skips the ones whose needs failed, and returns when the DAG is finished.
import { nextDecision, type PlannedStep } from '../../core/pipeline/plan.js';
import type { StepStatus } from '../../core/run.js';

export interface ScheduleHooks {
  /** The step's current status (pending until the run sets it). */
  status(name: string): StepStatus;
  /** Marks a step as started before its promise runs (so the next decision sees it). */
  markRunning(name: string): void;
  /** Runs one step to its end; never rejects. */
  runStep(step: PlannedStep): Promise<void>;
  skip(name: string, reason: string): Promise<void>;
  /** Why the run was canceled, if it was: nothing new starts, the steps in flight finish. */
  canceled(): string | undefined;
}

/** Runs the steps, at most `concurrency` at once, until the scheduler says done or the run is canceled. */
export const schedule = async (steps: readonly PlannedStep[], concurrency: number, hooks: ScheduleHooks): Promise<void> => {
  const inFlight = new Map<string, Promise<void>>();
  for (;;) {
    const canceled = hooks.canceled() !== undefined;
    if (canceled && inFlight.size === 0) return;
    const view = steps.map((s) => ({ name: s.name, needs: s.needs, status: hooks.status(s.name) }));
    const decision = canceled ? { kind: 'wait' as const } : nextDecision(view, concurrency);
    if (decision.kind === 'done') return;
    if (decision.kind === 'skip') {
      for (const name of decision.steps) await hooks.skip(name, `needs "${decision.because[name]}", which did not pass`);
      continue;
    }
    if (decision.kind === 'start') {
      for (const name of decision.steps) {
        const step = steps.find((s) => s.name === name);
        if (!step) continue;
        hooks.markRunning(name);
        inFlight.set(name, hooks.runStep(step).finally(() => inFlight.delete(name)));
      }
      continue;
    }
    if (inFlight.size === 0) return;
    await Promise.race(inFlight.values());
  }
};
