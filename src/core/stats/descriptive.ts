// Descriptive statistics over plain number arrays: mean, median, percentiles, MAD.
// Inputs are never mutated; an empty input or a non-finite value is a caller bug and throws.

function checked(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what}: empty sample`);
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`${what}: sample contains a non-finite value (${v})`);
  }
}

/** Arithmetic mean. */
export function mean(values: readonly number[]): number {
  checked(values, 'mean');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Percentile of an already sorted array, p in [0, 100], linear interpolation (Hyndman–Fan type 7). */
function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

function checkP(p: number): void {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
}

/**
 * The p-th percentile (0–100) with linear interpolation between closest ranks — the default of
 * numpy and R (type 7): `percentile([1, 2, 3, 4], 50) === 2.5`.
 */
export function percentile(values: readonly number[], p: number): number {
  checked(values, 'percentile');
  checkP(p);
  return percentileOfSorted(Float64Array.from(values).sort(), p);
}

/** Several percentiles at once, sorting only once: `percentiles(xs, [50, 95, 99])`. */
export function percentiles(values: readonly number[], ps: readonly number[]): number[] {
  checked(values, 'percentiles');
  ps.forEach(checkP);
  const sorted = Float64Array.from(values).sort();
  return ps.map((p) => percentileOfSorted(sorted, p));
}

/** The median (the 50th percentile; mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  checked(values, 'median');
  return percentileOfSorted(Float64Array.from(values).sort(), 50);
}

/**
 * Median absolute deviation: median(|x − median(x)|). With `{ normalConsistent: true }` it is
 * multiplied by 1.4826 so that it estimates the standard deviation of normal data.
 */
export function mad(values: readonly number[], opts: { normalConsistent?: boolean } = {}): number {
  const m = median(values);
  const raw = median(values.map((v) => Math.abs(v - m)));
  return opts.normalConsistent === true ? raw * 1.482602218505602 : raw;
}
