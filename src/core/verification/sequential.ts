// Sequential tests that may be looked at after every interval without inflating the false-alarm
// rate: mixture likelihood-ratio tests (mixture SPRT) for a rate of bad requests against a ceiling
// (binomial) and for a count of events per minute against a ceiling (Poisson).
//
// Why a mixture SPRT: a plain one-sided test repeated at every look fails healthy releases far
// more often than its alpha says. Under "the true rate is at most the threshold", the mixture
// likelihood ratio is a non-negative supermartingale, so by Ville's inequality it ever reaches
// 1/alpha with probability at most alpha — however often it is looked at. `1 / ratio` is then an
// always-valid p-value. The mixture is an equal-weight grid of alternatives from just above the
// threshold to a gross failure, so that small excesses are caught with enough data and a total
// failure within a handful of requests.

/** Alternatives, as odds ratios (binomial) or rate ratios (Poisson) against the threshold. */
const RATIOS: readonly number[] = [1.25, 1.5, 2, 3, 5, 10, 20, 50, 100, 1e3, 1e4, 1e5, 1e6];

export interface SequentialResult {
  /** The mixture likelihood ratio; ≥ 1/alpha is significant at level alpha. */
  ratio: number;
  /** Always-valid p-value, min(1, 1 / ratio). */
  p: number;
}

const NONE: SequentialResult = { ratio: 0, p: 1 };
const CERTAIN: SequentialResult = { ratio: Number.POSITIVE_INFINITY, p: 0 };

/** ln of the mean of exp(x) over the terms, without overflow. */
function logMeanExp(terms: number[]): number {
  const max = Math.max(...terms);
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum / terms.length);
}

function result(logRatio: number): SequentialResult {
  const ratio = Math.exp(logRatio);
  return { ratio, p: Math.min(1, Math.exp(-logRatio)) };
}

function checkCounts(bad: number, total: number): void {
  if (!Number.isInteger(total) || total < 0 || !Number.isInteger(bad) || bad < 0 || bad > total) {
    throw new RangeError(`binomial counts must be integers with 0 ≤ bad ≤ total, got ${bad}/${total}`);
  }
}

/**
 * Evidence that the share of bad outcomes exceeds `threshold`, from `bad` of `total` trials.
 * A threshold of 0 means "no bad outcome at all": one is certain evidence.
 *
 * @example binomialExcess(12, 12, 0.01).p < 1e-6 // every request failed: far above 1 %
 */
export function binomialExcess(bad: number, total: number, threshold: number): SequentialResult {
  checkCounts(bad, total);
  if (threshold >= 1) return NONE;
  if (threshold <= 0) return bad > 0 ? CERTAIN : NONE;
  if (total === 0) return result(0);
  const odds = threshold / (1 - threshold);
  const good = total - bad;
  const terms = RATIOS.map((r) => {
    const p = (odds * r) / (1 + odds * r);
    return bad * Math.log(p / threshold) + good * (Math.log1p(-p) - Math.log1p(-threshold));
  });
  return result(logMeanExp(terms));
}

/**
 * Evidence that events happen more often than `ratePerUnit`, from `events` seen over `exposure`
 * units (e.g. error lines over minutes). A rate of 0 means "no event at all".
 */
export function poissonExcess(events: number, exposure: number, ratePerUnit: number): SequentialResult {
  checkPoisson(events, exposure);
  if (ratePerUnit <= 0) return events > 0 ? CERTAIN : NONE;
  const mu = ratePerUnit * exposure;
  return result(logMeanExp(RATIOS.map((r) => events * Math.log(r) - (r - 1) * mu)));
}

/** Evidence that events happen less often than `ratePerUnit` (a floor that is not being met). */
export function poissonShortfall(events: number, exposure: number, ratePerUnit: number): SequentialResult {
  checkPoisson(events, exposure);
  if (ratePerUnit <= 0) return NONE;
  const mu = ratePerUnit * exposure;
  return result(logMeanExp(RATIOS.map((r) => -events * Math.log(r) + (1 - 1 / r) * mu)));
}

function checkPoisson(events: number, exposure: number): void {
  if (!Number.isInteger(events) || events < 0) throw new RangeError(`event count must be a non-negative integer, got ${events}`);
  if (!(exposure >= 0) || !Number.isFinite(exposure)) throw new RangeError(`exposure must be finite and ≥ 0, got ${exposure}`);
}
