// The benchmark gate's verdict: compares each metric of a candidate with the baseline of main.
// A regression needs both a statistically significant shift (one-sided Mann–Whitney U) and a
// median change beyond the tolerance; when the data cannot tell, the verdict says so instead of
// guessing, so the same code does not flip between pass and fail.

import { mannWhitneyU, median, smallestOneSidedP } from '../../core/stats/index.js';
import type { BenchMetric, Better } from './format.js';

export type MetricVerdict = 'pass' | 'regression' | 'improvement' | 'not-enough-data';
export type BenchVerdict = 'pass' | 'regression' | 'not-enough-data';

export interface CompareBenchOptions {
  /** Largest tolerated change for the worse, as a fraction of the baseline median (default 0.1). */
  maxRegression?: number;
  /** Confidence needed to call a shift real (default 0.95: one-sided p < 0.05). */
  confidence?: number;
  /** Fewest samples each side needs before any verdict but 'not-enough-data' (default 10). */
  minSamples?: number;
}

export interface MetricComparison {
  name: string;
  unit?: string;
  better: Better;
  verdict: MetricVerdict;
  baselineSamples: number;
  candidateSamples: number;
  baselineMedian?: number;
  candidateMedian?: number;
  /** (candidate − baseline) / |baseline| × 100; null when the baseline median is 0. */
  changePct?: number | null;
  /** One-sided p-value of the shift in the observed direction. */
  p?: number;
  /** 1 − p: how sure the test is that the shift is real. */
  confidence?: number;
  /** One line for people, e.g. "12.0 ms → 15.1 ms (+25.8 %, p = 0.0004): slower beyond the 10 % tolerance". */
  message: string;
}

export interface BenchComparison {
  /** 'regression' if any metric regressed, else 'not-enough-data' if any metric lacks data, else 'pass'. */
  verdict: BenchVerdict;
  metrics: MetricComparison[];
}

const DEFAULTS = { maxRegression: 0.1, confidence: 0.95, minSamples: 10 };

function checkOptions(o: Required<CompareBenchOptions>): void {
  if (!(o.maxRegression >= 0 && Number.isFinite(o.maxRegression))) throw new RangeError(`maxRegression must be ≥ 0, got ${o.maxRegression}`);
  if (!(o.confidence > 0 && o.confidence < 1)) throw new RangeError(`confidence must be within (0, 1), got ${o.confidence}`);
  if (!Number.isInteger(o.minSamples) || o.minSamples < 2) throw new RangeError(`minSamples must be an integer ≥ 2, got ${o.minSamples}`);
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : Number(v.toPrecision(3)).toString());
const pct = (v: number | null): string => (v === null ? 'from 0' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`);
const pText = (p: number): string => (p < 0.0001 ? 'p < 0.0001' : `p = ${Number(p.toPrecision(2))}`);

function compareMetric(base: BenchMetric, cand: BenchMetric, o: Required<CompareBenchOptions>): MetricComparison {
  const better = base.better;
  const unit = cand.unit ?? base.unit;
  const u = unit !== undefined ? ` ${unit}` : '';
  const common = {
    name: cand.name,
    better,
    baselineSamples: base.samples.length,
    candidateSamples: cand.samples.length,
    ...(unit !== undefined ? { unit } : {}),
  };
  const alpha = 1 - o.confidence;
  const n1 = cand.samples.length;
  const n2 = base.samples.length;
  if (n1 < o.minSamples || n2 < o.minSamples || smallestOneSidedP(n1, n2) >= alpha) {
    return {
      ...common,
      verdict: 'not-enough-data',
      message: `not enough data — rerun with more samples (baseline ${n2}, candidate ${n1}, need at least ${o.minSamples} each)`,
    };
  }
  const baselineMedian = median(base.samples);
  const candidateMedian = median(cand.samples);
  const diff = candidateMedian - baselineMedian;
  const changePct = baselineMedian === 0 ? (diff === 0 ? 0 : null) : (diff / Math.abs(baselineMedian)) * 100;
  // A null change (from a zero baseline) counts as beyond any tolerance.
  const beyond = changePct === null || Math.abs(changePct) > o.maxRegression * 100;
  const worse = better === 'lower' ? diff > 0 : diff < 0;
  const towardWorse = better === 'lower' ? 'greater' : 'less';
  const towardBetter = better === 'lower' ? 'less' : 'greater';
  const p = mannWhitneyU(cand.samples, base.samples, { alternative: diff === 0 || worse ? towardWorse : towardBetter }).p;
  const significant = p < alpha;
  const head = `${fmt(baselineMedian)}${u} → ${fmt(candidateMedian)}${u} (${pct(changePct)}, ${pText(p)})`;
  const tolerance = `${fmt(o.maxRegression * 100)} % tolerance`;
  const stats = { baselineMedian, candidateMedian, changePct, p, confidence: 1 - p };
  const worseWord = better === 'lower' ? 'higher' : 'lower';
  const betterWord = better === 'lower' ? 'lower' : 'higher';

  if (diff !== 0 && beyond && significant) {
    return worse
      ? { ...common, ...stats, verdict: 'regression', message: `${head}: ${worseWord} beyond the ${tolerance} — regression` }
      : { ...common, ...stats, verdict: 'improvement', message: `${head}: ${betterWord} beyond the ${tolerance} — improvement` };
  }
  if (diff !== 0 && beyond && worse) {
    // Large but not significant: the samples are too noisy to tell. Saying "pass" here would
    // flip to "regression" on a luckier rerun of the same code.
    return {
      ...common,
      ...stats,
      verdict: 'not-enough-data',
      message: `${head}: ${worseWord} beyond the ${tolerance} but not significant at ${fmt(o.confidence * 100)} % — not enough data, rerun with more samples`,
    };
  }
  const why = !beyond ? `within the ${tolerance}` : 'not a significant change';
  return { ...common, ...stats, verdict: 'pass', message: `${head}: ${why}` };
}

/**
 * Compares a candidate's bench metrics with the baseline's, metric by metric (matched by name).
 * A metric missing on either side is 'not-enough-data' with a message saying which side lacks it.
 *
 * @example
 *   compareBench(mainMetrics, changeMetrics, { maxRegression: 0.1 }).verdict // 'pass' | 'regression' | 'not-enough-data'
 */
export function compareBench(
  baseline: readonly BenchMetric[],
  candidate: readonly BenchMetric[],
  options: CompareBenchOptions = {},
): BenchComparison {
  const o = { ...DEFAULTS, ...options };
  checkOptions(o);
  const baseByName = new Map(baseline.map((m) => [m.name, m]));
  const candNames = new Set(candidate.map((m) => m.name));
  const metrics: MetricComparison[] = [];
  for (const cand of candidate) {
    const base = baseByName.get(cand.name);
    if (base === undefined) {
      metrics.push({
        name: cand.name,
        better: cand.better,
        ...(cand.unit !== undefined ? { unit: cand.unit } : {}),
        verdict: 'not-enough-data',
        baselineSamples: 0,
        candidateSamples: cand.samples.length,
        message: 'no baseline for this metric yet: it is recorded when this change lands on main',
      });
    } else {
      metrics.push(compareMetric(base, cand, o));
    }
  }
  for (const base of baseline) {
    if (candNames.has(base.name)) continue;
    metrics.push({
      name: base.name,
      better: base.better,
      ...(base.unit !== undefined ? { unit: base.unit } : {}),
      verdict: 'not-enough-data',
      baselineSamples: base.samples.length,
      candidateSamples: 0,
      message: 'the candidate did not report this metric: check that the bench step still measures it',
    });
  }
  const verdict: BenchVerdict = metrics.some((m) => m.verdict === 'regression')
    ? 'regression'
    : metrics.some((m) => m.verdict === 'not-enough-data')
      ? 'not-enough-data'
      : 'pass';
  return { verdict, metrics };
}

/** The comparison as log lines: one per metric, worst first. */
export function formatBenchComparison(c: BenchComparison): string[] {
  const rank: Record<MetricVerdict, number> = { regression: 0, 'not-enough-data': 1, improvement: 2, pass: 3 };
  return [...c.metrics]
    .sort((a, b) => rank[a.verdict] - rank[b.verdict] || a.name.localeCompare(b.name))
    .map((m) => `${m.verdict.padEnd(15)} ${m.name}: ${m.message}`);
}
