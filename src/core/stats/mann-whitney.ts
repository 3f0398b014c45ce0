// The Mann–Whitney U (Wilcoxon rank-sum) test: does one sample tend to hold larger values than
// the other? Exact null distribution for small untied samples, normal approximation with tie
// and continuity corrections otherwise; plus effect sizes that say how large the shift is.

import { median } from './descriptive.js';
import { normalCdf, normalSf } from './normal.js';
import { poolRanks } from './ranks.js';

/** 'greater': x tends to be larger than y; 'less': x tends to be smaller. */
export type Alternative = 'two-sided' | 'less' | 'greater';

export interface MannWhitneyOptions {
  alternative?: Alternative;
  /** 'auto' (default) is exact when both samples have ≤ 20 values and there are no ties. */
  method?: 'auto' | 'exact' | 'asymptotic';
  /** Continuity correction of the normal approximation (default true). */
  continuity?: boolean;
}

export interface MannWhitneyEffect {
  /** P(X > Y) + ½ P(X = Y), the "common-language" effect size = U / (n1·n2), in [0, 1]. */
  commonLanguage: number;
  /** Rank-biserial correlation 2·CL − 1, in [−1, 1]; positive when x tends to be larger. */
  rankBiserial: number;
  /**
   * Hodges–Lehmann shift: median of all differences x_i − y_j (positive when x is larger).
   * Computed over every pair up to 4 million pairs; beyond that, median(x) − median(y).
   */
  hodgesLehmann: number;
}

export interface MannWhitneyResult {
  /** U of x: the number of pairs (x_i, y_j) with x_i > y_j, ties counting one half. */
  u: number;
  /** U of y = n1·n2 − u. */
  uY: number;
  n1: number;
  n2: number;
  /** Standardised statistic of the normal approximation (signed: positive when x is larger). */
  z: number;
  /** p-value for the chosen alternative, in [0, 1]. */
  p: number;
  alternative: Alternative;
  method: 'exact' | 'asymptotic';
  /** True when some values are tied (the exact method then does not apply). */
  hasTies: boolean;
  effect: MannWhitneyEffect;
}

const EXACT_MAX = 20;
const HL_MAX_PAIRS = 4_000_000;

function checkSample(values: readonly number[], name: string): void {
  if (values.length === 0) throw new RangeError(`mannWhitneyU: sample ${name} is empty`);
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`mannWhitneyU: sample ${name} contains ${v}`);
  }
}

/**
 * Counts of each U value (index = U) over all C(n1+n2, n1) equally likely rank arrangements
 * of untied samples: the subsets of size n1 of {1..N}, by rank sum.
 */
export function exactUDistribution(n1: number, n2: number): number[] {
  const n = n1 + n2;
  const maxSum = (n * (n + 1)) / 2;
  // ways[k][s]: subsets of size k of the ranks seen so far with rank sum s.
  const ways: Float64Array[] = [];
  for (let k = 0; k <= n1; k++) ways.push(new Float64Array(maxSum + 1));
  (ways[0] as Float64Array)[0] = 1;
  for (let r = 1; r <= n; r++) {
    for (let k = Math.min(r, n1); k >= 1; k--) {
      const row = ways[k] as Float64Array;
      const prev = ways[k - 1] as Float64Array;
      for (let s = maxSum; s >= r; s--) row[s] = (row[s] as number) + (prev[s - r] as number);
    }
  }
  const base = (n1 * (n1 + 1)) / 2;
  const counts: number[] = [];
  const full = ways[n1] as Float64Array;
  for (let u = 0; u <= n1 * n2; u++) counts.push(full[u + base] as number);
  return counts;
}

function exactP(u: number, n1: number, n2: number, alternative: Alternative): number {
  const counts = exactUDistribution(n1, n2);
  let total = 0;
  let atMost = 0;
  let atLeast = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k] as number;
    total += c;
    if (k <= u) atMost += c;
    if (k >= u) atLeast += c;
  }
  const pLess = atMost / total;
  const pGreater = atLeast / total;
  if (alternative === 'less') return pLess;
  if (alternative === 'greater') return pGreater;
  return Math.min(1, 2 * Math.min(pLess, pGreater));
}

function hodgesLehmann(x: readonly number[], y: readonly number[]): number {
  if (x.length * y.length > HL_MAX_PAIRS) return median(x) - median(y);
  const n = x.length * y.length;
  const mid = n >> 1;
  return n % 2 === 1 ? kthDifference(x, y, mid) : (kthDifference(x, y, mid - 1) + kthDifference(x, y, mid)) / 2;
}

/**
 * The k-th smallest (from 0) of the differences x_i − y_j, without listing them all: a verification
 * look compares thousands of baseline requests with hundreds of canary ones, and sorting the
 * million differences at every look is most of the work. With x ascending and y descending the
 * differences form a matrix sorted along rows and columns; each round takes a pivot among the
 * remaining candidates, counts the differences below it along the staircase (O(n1 + n2)), and
 * keeps the side that holds rank k. The result is the exact same value as sorting all of them.
 */
export function kthDifference(x: readonly number[], y: readonly number[], k: number): number {
  const xs = Float64Array.from(x).sort();
  const yd = Float64Array.from(y).sort().reverse();
  const n1 = xs.length;
  const n2 = yd.length;
  const d = (i: number, j: number): number => (xs[i] as number) - (yd[j] as number);
  // Row i's candidates are columns [lo[i], hi[i]); everything left of them ranks below k.
  const lo = new Int32Array(n1);
  const hi = new Int32Array(n1).fill(n2);
  const below = new Int32Array(n1);
  const atMost = new Int32Array(n1);
  let left = 0;
  // A fixed-seed generator: the pivots only change how fast, never what is found.
  let seed = 0x9e3779b9;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  for (;;) {
    let candidates = 0;
    for (let i = 0; i < n1; i++) candidates += (hi[i] as number) - (lo[i] as number);
    if (candidates <= n1 + n2) {
      const rest: number[] = [];
      for (let i = 0; i < n1; i++) for (let j = lo[i] as number; j < (hi[i] as number); j++) rest.push(d(i, j));
      rest.sort((a, b) => a - b);
      return rest[k - left] as number;
    }
    let r = Math.floor(random() * candidates);
    let pivot = 0;
    for (let i = 0; i < n1; i++) {
      const w = (hi[i] as number) - (lo[i] as number);
      if (r < w) {
        pivot = d(i, (lo[i] as number) + r);
        break;
      }
      r -= w;
    }
    // Per row, the columns below the pivot and at most the pivot: both only move left as the
    // rows grow, so one walk each covers the matrix.
    let less = left;
    let equal = 0;
    let jl = n2;
    let je = n2;
    for (let i = 0; i < n1; i++) {
      while (jl > 0 && d(i, jl - 1) >= pivot) jl--;
      while (je > 0 && d(i, je - 1) > pivot) je--;
      const l = Math.min(Math.max(jl, lo[i] as number), hi[i] as number);
      const e = Math.min(Math.max(je, lo[i] as number), hi[i] as number);
      below[i] = l;
      atMost[i] = e;
      less += l - (lo[i] as number);
      equal += e - l;
    }
    if (k < less) {
      for (let i = 0; i < n1; i++) hi[i] = below[i] as number;
    } else if (k < less + equal) {
      return pivot;
    } else {
      for (let i = 0; i < n1; i++) {
        left += (atMost[i] as number) - (lo[i] as number);
        lo[i] = atMost[i] as number;
      }
    }
  }
}

/**
 * Mann–Whitney U test of x against y.
 *
 * @example
 *   mannWhitneyU([12, 14, 15], [3, 4, 5], { alternative: 'greater' }).p // 0.05 (exact: 1 of 20)
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  opts: MannWhitneyOptions = {},
): MannWhitneyResult {
  checkSample(x, 'x');
  checkSample(y, 'y');
  const alternative = opts.alternative ?? 'two-sided';
  const continuity = opts.continuity ?? true;
  const n1 = x.length;
  const n2 = y.length;
  const n = n1 + n2;
  const { rankSumX, ties } = poolRanks(x, y);
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const tieTerm = ties.reduce((s, t) => s + (t * t * t - t), 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const sd = Math.sqrt(Math.max(variance, 0));

  const diff = u - mu;
  const cc = continuity ? 0.5 : 0;
  let z: number;
  if (sd === 0) z = 0;
  else if (alternative === 'greater') z = (diff - cc) / sd;
  else if (alternative === 'less') z = (diff + cc) / sd;
  else z = (Math.sign(diff) * Math.max(0, Math.abs(diff) - cc)) / sd;

  const hasTies = ties.length > 0;
  const method = opts.method ?? 'auto';
  const useExact = method === 'exact' || (method === 'auto' && !hasTies && n1 <= EXACT_MAX && n2 <= EXACT_MAX);
  let p: number;
  if (useExact) {
    if (hasTies) throw new RangeError('mannWhitneyU: the exact method needs samples without ties');
    p = exactP(u, n1, n2, alternative);
  } else if (sd === 0) {
    p = 1; // every value is the same: no evidence of any difference
  } else if (alternative === 'greater') {
    p = normalSf(z);
  } else if (alternative === 'less') {
    p = normalCdf(z);
  } else {
    p = Math.min(1, 2 * normalSf(Math.abs(z)));
  }

  const commonLanguage = u / (n1 * n2);
  return {
    u,
    uY: n1 * n2 - u,
    n1,
    n2,
    z,
    p: Math.min(1, Math.max(0, p)),
    alternative,
    method: useExact ? 'exact' : 'asymptotic',
    hasTies,
    effect: { commonLanguage, rankBiserial: 2 * commonLanguage - 1, hodgesLehmann: hodgesLehmann(x, y) },
  };
}

/**
 * The smallest one-sided p-value any outcome can reach with these sample sizes: 1 / C(n1+n2, n1).
 * If it is above the significance level, no data of this size could ever show a difference.
 */
export function smallestOneSidedP(n1: number, n2: number): number {
  let logC = 0;
  for (let i = 1; i <= n1; i++) logC += Math.log(n2 + i) - Math.log(i);
  return Math.exp(-logC);
}
