// Pipeline planning: the steps of a run as a DAG, and the pure scheduling decisions over it.
import type { GateSpec, SlipwayConfig } from '../config/types.js';
import type { StepKind, StepStatus } from '../run.js';

export interface PlannedStep {
  name: string;
  kind: StepKind;
  needs: string[];
  /** Shell command for build, command and bench steps. */
  run?: string;
  timeoutMs: number;
  env: Record<string, string>;
  secrets: string[];
  /** Extra attempts allowed for a step marked flaky. */
  retries: number;
  gate?: GateSpec;
}

export const BUILD_STEP = 'build';

/** The steps of the pipeline in declaration order: the build step first, then the gates. */
export const planSteps = (config: SlipwayConfig): PlannedStep[] => {
  const build: PlannedStep = {
    name: BUILD_STEP,
    kind: 'build',
    needs: [],
    run: config.build.run,
    timeoutMs: config.build.timeoutMs,
    env: config.build.env,
    secrets: config.build.secrets,
    retries: 0,
  };
  const gates = config.gates.map((g): PlannedStep => {
    const base = { name: g.name, needs: g.needs, timeoutMs: g.timeoutMs, gate: g, env: {}, secrets: [] as string[], retries: 0 };
    switch (g.kind) {
      case 'command':
        return { ...base, kind: 'command', run: g.run, env: g.env, secrets: g.secrets, retries: g.retries };
      case 'bench':
        return { ...base, kind: 'bench', run: g.run, env: g.env, secrets: g.secrets };
      case 'secret-scan':
        return { ...base, kind: 'secret-scan' };
      case 'dependency-audit':
        return { ...base, kind: 'dependency-audit' };
    }
  });
  return [build, ...gates];
};

export type DagProblem =
  | { kind: 'unknown-need'; step: string; need: string }
  | { kind: 'cycle'; cycle: string[] }
  | { kind: 'duplicate'; step: string };

/** Finds unknown `needs`, duplicates and cycles; an empty list means the DAG is sound. */
export const checkDag = (steps: Pick<PlannedStep, 'name' | 'needs'>[]): DagProblem[] => {
  const problems: DagProblem[] = [];
  const byName = new Map<string, Pick<PlannedStep, 'name' | 'needs'>>();
  for (const s of steps) {
    if (byName.has(s.name)) problems.push({ kind: 'duplicate', step: s.name });
    byName.set(s.name, s);
  }
  for (const s of steps) for (const n of s.needs) if (!byName.has(n)) problems.push({ kind: 'unknown-need', step: s.name, need: n });
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    const mark = state.get(name);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      problems.push({ kind: 'cycle', cycle: [...path.slice(path.indexOf(name)), name] });
      return;
    }
    state.set(name, 'visiting');
    path.push(name);
    for (const n of byName.get(name)?.needs ?? []) if (byName.has(n)) visit(n);
    path.pop();
    state.set(name, 'done');
  };
  for (const s of steps) visit(s.name);
  return problems;
};

export interface SchedulerView {
  name: string;
  needs: string[];
  status: StepStatus;
}

export type Decision =
  | { kind: 'start'; steps: string[] }
  | { kind: 'skip'; steps: string[]; because: Record<string, string> }
  | { kind: 'wait' }
  | { kind: 'done'; ok: boolean };

/**
 * What to do next, given every step's status and how many may run at once: skip steps whose
 * needs failed, start ready steps up to the limit, or report the run finished.
 */
export const nextDecision = (steps: SchedulerView[], concurrency: number): Decision => {
  const status = new Map(steps.map((s) => [s.name, s.status]));
  const because: Record<string, string> = {};
  for (const s of steps) {
    if (s.status !== 'pending') continue;
    const blocker = s.needs.find((n) => {
      const st = status.get(n);
      return st === 'failed' || st === 'canceled' || st === 'skipped';
    });
    if (blocker) because[s.name] = blocker;
  }
  const toSkip = Object.keys(because);
  if (toSkip.length > 0) return { kind: 'skip', steps: toSkip, because };

  const running = steps.filter((s) => s.status === 'running').length;
  const ready = steps.filter((s) => s.status === 'pending' && s.needs.every((n) => status.get(n) === 'passed'));
  const slots = Math.max(0, concurrency - running);
  if (ready.length > 0 && slots > 0) return { kind: 'start', steps: ready.slice(0, slots).map((s) => s.name) };
  if (running > 0 || ready.length > 0) return { kind: 'wait' };
  return { kind: 'done', ok: steps.every((s) => s.status === 'passed') };
};
