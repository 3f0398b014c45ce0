// Statistics for gates and verification: rank tests, rate tests, and robust summaries. Pure.

export { mean, median, percentile, percentiles, mad } from './descriptive.js';
export { normalCdf, normalSf } from './normal.js';
export { logGamma, logFactorial, logChoose } from './gamma.js';
export {
  mannWhitneyU,
  exactUDistribution,
  smallestOneSidedP,
  type Alternative,
  type MannWhitneyOptions,
  type MannWhitneyResult,
  type MannWhitneyEffect,
} from './mann-whitney.js';
export {
  twoProportionZTest,
  fisherExact,
  compareProportions,
  type ProportionSample,
  type ProportionTestResult,
} from './proportion.js';
