// Synthetic traffic for the analysis tests: seeded, so every run sees the same requests. A
// simulation feeds the reducer once per interval, as the engine does, until a terminal decision.

import type { ActiveVerifySpec, Decision, RequestSamples, StepInput, StepResult, VerificationState } from './types.js';
import { initialState, step } from './analysis.js';
import { isTerminal } from './types.js';

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
export function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Poisson draw (Knuth for small means, normal approximation above 50). */
export function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rand)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

export interface Traffic {
  /** Requests per second (Poisson arrivals). */
  rps: number;
  /** Share of requests answered 500. */
  errorRate: number;
  /** Median latency (ms) of a lognormal with spread `sigma`. */
  medianMs: number;
  sigma?: number;
  /** Share of requests that take `slowMs` instead. */
  slowShare?: number;
  slowMs?: number;
}

/** Appends `count` requests completing between `from` and `to` (ms epoch). */
export function addRequests(s: RequestSamples, traffic: Traffic, count: number, from: number, to: number, rand: () => number): void {
  for (let i = 0; i < count; i++) {
    s.t.push(Math.round(from + ((i + 1) / (count + 1)) * (to - from)));
    const slow = traffic.slowShare !== undefined && rand() < traffic.slowShare;
    s.ms.push(slow ? (traffic.slowMs ?? 1000) : traffic.medianMs * Math.exp((traffic.sigma ?? 0.4) * normal(rand)));
    s.status.push(rand() < traffic.errorRate ? 500 : 200);
  }
}

export const emptySamples = (): RequestSamples => ({ t: [], ms: [], status: [] });

export interface SimulationOptions {
  seed: number;
  baseline?: Traffic;
  /** Send the synthetic requests the decisions ask for (healthy, like the canary's own requests). */
  honourProbes?: boolean;
  /** Round-trip the state through JSON between steps, as the engine's persistence does. */
  persist?: boolean;
  /** Extra input fields per look (restarts, log errors, Prometheus readings). */
  extra?: (look: number, elapsedMs: number) => Partial<Pick<StepInput, 'prometheus'>> & Partial<StepInput['canary']>;
  /** Stop after this many looks even without a terminal decision. */
  maxLooks?: number;
}

export interface Simulation {
  final: Decision;
  looks: number;
  elapsedMs: number;
  /** Requests of the release under test at the final look. */
  requests: number;
  results: StepResult[];
  state: VerificationState;
}

const START = Date.UTC(2030, 0, 1);

/** Runs a verification over synthetic traffic until it passes or fails (or `maxLooks`). */
export function simulate(spec: ActiveVerifySpec, canary: Traffic, opts: SimulationOptions): Simulation {
  const rand = prng(opts.seed);
  const c = emptySamples();
  const b = emptySamples();
  let state = initialState();
  const results: StepResult[] = [];
  let probe = 0;
  const limit = opts.maxLooks ?? 10_000;
  for (let look = 1; look <= limit; look++) {
    const elapsedMs = look * spec.intervalMs;
    const from = START + elapsedMs - spec.intervalMs;
    const to = START + elapsedMs;
    addRequests(c, canary, poisson(rand, (canary.rps * spec.intervalMs) / 1000), from, to, rand);
    if (opts.honourProbes && probe > 0) addRequests(c, { ...canary, rps: 0 }, probe, from, to, rand);
    if (opts.baseline) addRequests(b, opts.baseline, poisson(rand, (opts.baseline.rps * spec.intervalMs) / 1000), from, to, rand);
    const { prometheus, ...canaryExtra } = opts.extra?.(look, elapsedMs) ?? {};
    const input: StepInput = {
      spec,
      elapsedMs,
      canary: { requests: { ok: true, value: c }, ...canaryExtra },
      ...(opts.baseline ? { baseline: { ok: true, value: b } } : {}),
      ...(prometheus ? { prometheus } : {}),
    };
    const r = step(opts.persist ? (JSON.parse(JSON.stringify(state)) as VerificationState) : state, input);
    results.push(r);
    state = r.state;
    probe = r.decision.kind === 'continue' || r.decision.kind === 'inconclusive' ? (r.decision.probe ?? 0) : 0;
    if (isTerminal(r.decision)) return { final: r.decision, looks: look, elapsedMs, requests: c.t.length, results, state };
  }
  const last = results[results.length - 1];
  if (!last) throw new Error('simulate: no look taken');
  return { final: last.decision, looks: limit, elapsedMs: limit * spec.intervalMs, requests: c.t.length, results, state };
}

/** The default verification of slipway.yaml, overridable. */
export function spec(over: Partial<ActiveVerifySpec> = {}): ActiveVerifySpec {
  return {
    enabled: true,
    windowMs: 30_000,
    intervalMs: 1000,
    failureLimit: 1,
    minSamples: 20,
    inconclusive: 'extend',
    checks: [
      { kind: 'threshold', metric: 'error_rate', op: '<', value: 0.01, source: 'error_rate < 1%' },
      { kind: 'threshold', metric: 'p99_latency', op: '<', value: 500, source: 'p99_latency < 500ms' },
    ],
    ...over,
  };
}
