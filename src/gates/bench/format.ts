// The JSON a bench step hands to Slipway, and its parser. The shape and the hand-over
// (a file named by $SLIPWAY_BENCH_OUTPUT, else the last line of stdout) are documented in
// docs/gates.md; every malformed form gets a message that names the offending field.

/** Environment variable naming the file a bench step may write its JSON to. */
export const BENCH_OUTPUT_ENV = 'SLIPWAY_BENCH_OUTPUT';

/** Which direction is good for a metric: latency is 'lower', throughput is 'higher'. */
export type Better = 'lower' | 'higher';

export interface BenchMetric {
  name: string;
  unit?: string;
  better: Better;
  samples: number[];
}

export interface BenchResult {
  metrics: BenchMetric[];
}

export type ParseBenchResult = { ok: true; metrics: BenchMetric[] } | { ok: false; message: string };

const NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;
const MAX_METRICS = 200;
const MAX_SAMPLES = 1_000_000;
const METRIC_KEYS = new Set(['name', 'unit', 'better', 'samples']);
const TOP_KEYS = new Set(['version', 'metrics', 'meta']);

const fail = (message: string): ParseBenchResult => ({ ok: false, message: `bench output: ${message}` });

const describeValue = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === undefined ? 'missing' : `a ${typeof v}`;
};

/**
 * Picks the text to parse: the file the step wrote to $SLIPWAY_BENCH_OUTPUT when it wrote
 * something there, else its stdout. Pure; the caller reads the file.
 */
export function selectBenchText(input: { fileText?: string | undefined; stdout: string }): string {
  return input.fileText !== undefined && input.fileText.trim() !== '' ? input.fileText : input.stdout;
}

function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === '') {
    return { ok: false, message: `empty: the step printed no JSON line and wrote nothing to $${BENCH_OUTPUT_ENV}` };
  }
  try {
    return { ok: true, value: JSON.parse(trimmed) as unknown };
  } catch {
    // Not one JSON document: the step may print progress first and the JSON as its last line.
  }
  const lines = trimmed.split(/\r?\n/);
  const last = (lines[lines.length - 1] ?? '').trim();
  try {
    return { ok: true, value: JSON.parse(last) as unknown };
  } catch (e) {
    const shown = last.length > 80 ? `${last.slice(0, 80)}…` : last;
    return {
      ok: false,
      message: `the last line of output is not JSON (${(e as Error).message}): ${shown}`,
    };
  }
}

function parseMetric(raw: unknown, i: number, seen: Set<string>): BenchMetric | string {
  const at = `metrics[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `${at} is ${describeValue(raw)}, expected an object`;
  const m = raw as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (!METRIC_KEYS.has(key)) return `${at} has an unknown field "${key}" (allowed: name, unit, better, samples)`;
  }
  if (typeof m.name !== 'string' || !NAME.test(m.name)) {
    return `${at}.name is ${describeValue(m.name)}, expected 1–100 characters of letters, digits and _ . : / -`;
  }
  const where = `${at} ("${m.name}")`;
  if (seen.has(m.name)) return `${where}: the name appears twice`;
  seen.add(m.name);
  if (m.unit !== undefined && (typeof m.unit !== 'string' || m.unit.length > 20)) {
    return `${where}.unit is ${describeValue(m.unit)}, expected a short string such as "ms"`;
  }
  const better = m.better ?? 'lower';
  if (better !== 'lower' && better !== 'higher') return `${where}.better is ${describeValue(m.better)}, expected "lower" or "higher"`;
  if (!Array.isArray(m.samples)) return `${where}.samples is ${describeValue(m.samples)}, expected an array of numbers`;
  if (m.samples.length === 0) return `${where}.samples is empty`;
  if (m.samples.length > MAX_SAMPLES) return `${where}.samples has ${m.samples.length} values, at most ${MAX_SAMPLES} allowed`;
  const samples: number[] = [];
  for (let j = 0; j < m.samples.length; j++) {
    const v: unknown = m.samples[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${where}.samples[${j}] is ${describeValue(v)}, expected a finite number`;
    samples.push(v);
  }
  const metric: BenchMetric = { name: m.name, better, samples };
  if (typeof m.unit === 'string') metric.unit = m.unit;
  return metric;
}

/**
 * Parses a bench step's output: one JSON document, or progress lines followed by the JSON as the
 * last line.
 *
 * @example
 *   parseBenchOutput('warming up…\n{"metrics":[{"name":"p50_ms","better":"lower","samples":[3.1,3.3]}]}')
 *   // → { ok: true, metrics: [{ name: 'p50_ms', better: 'lower', samples: [3.1, 3.3] }] }
 */
export function parseBenchOutput(text: string): ParseBenchResult {
  const json = parseJsonText(text);
  if (!json.ok) return fail(json.message);
  const doc = json.value;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return fail(`expected an object {"metrics": [...]}, got ${describeValue(doc)}`);
  }
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!TOP_KEYS.has(key)) return fail(`unknown top-level field "${key}" (allowed: version, metrics, meta)`);
  }
  if (top.version !== undefined && top.version !== 1) return fail(`version is ${describeValue(top.version)}, only 1 is known`);
  if (!Array.isArray(top.metrics)) return fail(`"metrics" is ${describeValue(top.metrics)}, expected an array`);
  if (top.metrics.length === 0) return fail('"metrics" is empty: report at least one metric');
  if (top.metrics.length > MAX_METRICS) return fail(`"metrics" has ${top.metrics.length} entries, at most ${MAX_METRICS} allowed`);
  const seen = new Set<string>();
  const metrics: BenchMetric[] = [];
  for (let i = 0; i < top.metrics.length; i++) {
    const parsed = parseMetric(top.metrics[i], i, seen);
    if (typeof parsed === 'string') return fail(parsed);
    metrics.push(parsed);
  }
  return { ok: true, metrics };
}

/**
 * Joins the samples of several runs of the same bench step (a rerun after "not enough data").
 * Metrics are matched by name; the first run's unit and direction win.
 */
export function combineBenchRuns(runs: readonly (readonly BenchMetric[])[]): BenchMetric[] {
  const byName = new Map<string, BenchMetric>();
  for (const run of runs) {
    for (const m of run) {
      const existing = byName.get(m.name);
      if (existing) existing.samples.push(...m.samples);
      else byName.set(m.name, { ...m, samples: [...m.samples] });
    }
  }
  return [...byName.values()];
}
