// The benchmark gate: the bench step's JSON format and the statistical comparison with main.

export {
  BENCH_OUTPUT_ENV,
  parseBenchOutput,
  selectBenchText,
  combineBenchRuns,
  type Better,
  type BenchMetric,
  type BenchResult,
  type ParseBenchResult,
} from './format.js';
export {
  compareBench,
  formatBenchComparison,
  type CompareBenchOptions,
  type MetricComparison,
  type MetricVerdict,
  type BenchComparison,
  type BenchVerdict,
} from './compare.js';
export { collectBenchOutput } from './collect.js';
