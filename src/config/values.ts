// Parsers for the small value languages of slipway.yaml: durations, percentages and check
// expressions such as `p99_latency < 300ms`. Pure; each returns a value or an explained failure.

import type { CheckSpec, MetricName } from './types.js';
import { DURATION_EXPECTED, parseDuration, type Parsed } from '../core/config/values.js';
import { didYouMean } from './suggest.js';

export { DURATION_EXPECTED, DURATION_PATTERN, ENV_KEY_PATTERN, NAME_PATTERN, SIZE_EXPECTED, SIZE_PATTERN, STEP_NAME_PATTERN, parseDuration, parseSize, type Parsed } from '../core/config/values.js';
export const PERCENT_PATTERN = /^(\d+(?:\.\d+)?)%$/;
export const PERCENT_EXPECTED = 'a percentage such as 10% or 0.5%, or a fraction between 0 and 1';
export const CHECK_EXPECTED = '`<metric> <op> <value>`, e.g. `error_rate < 1%`';

/** `10%` → 0.1; a number must already be a fraction in [0, 1]. */
export function parsePercent(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    return input >= 0 && input <= 1
      ? { ok: true, value: input }
      : {
          ok: false,
          message: `invalid percentage ${input}`,
          expected: PERCENT_EXPECTED,
          hint: input > 1 && input <= 100 ? `write "${input}%" for a percentage` : undefined,
        };
  }
  const m = PERCENT_PATTERN.exec(input.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || n > 100) return { ok: false, message: `invalid percentage "${input}"`, expected: PERCENT_EXPECTED };
  // Dividing the decimal digits avoids 0.07 * 100-style float noise: "7%" gives exactly 0.07.
  return { ok: true, value: Number((n / 100).toPrecision(12)) };
}

export const METRICS: readonly MetricName[] = [
  'error_rate',
  'p50_latency',
  'p90_latency',
  'p95_latency',
  'p99_latency',
  'request_count',
  'restarts',
  'log_errors_per_minute',
];

type Op = '<' | '<=' | '>' | '>=';
const OPS: readonly string[] = ['<', '<=', '>', '>='];
const EXPRESSION = /^([A-Za-z0-9_.-]+)\s*([<>=!]+)\s*(.+)$/;

/** What unit the value of a metric is written in. */
function unitOf(metric: MetricName): 'fraction' | 'duration' | 'count' {
  if (metric === 'error_rate') return 'fraction';
  if (metric.endsWith('_latency')) return 'duration';
  return 'count';
}

/**
 * Parses a threshold check written as a sentence.
 * @example parseCheckExpression('p99_latency < 300ms') // { metric: 'p99_latency', op: '<', value: 300 }
 */
export function parseCheckExpression(source: string): Parsed<Extract<CheckSpec, { kind: 'threshold' }>> {
  const m = EXPRESSION.exec(source.trim());
  if (!m) return { ok: false, message: `cannot read check "${source}"`, expected: CHECK_EXPECTED };
  const [, metricText = '', op = '', valueText = ''] = m;
  if (!(METRICS as readonly string[]).includes(metricText)) {
    const guess = didYouMean(metricText, METRICS);
    return {
      ok: false,
      message: `unknown metric "${metricText}" in check "${source}"`,
      expected: `one of ${METRICS.join(', ')}`,
      hint: guess ? `did you mean "${guess}"?` : undefined,
    };
  }
  const metric = metricText as MetricName;
  if (!OPS.includes(op)) {
    return {
      ok: false,
      message: `unknown comparison "${op}" in check "${source}"`,
      expected: 'one of <, <=, >, >=',
      hint: op === '==' || op === '=' ? `write "${metric} < 1" for "exactly 0"` : undefined,
    };
  }
  const value = parseCheckValue(metric, valueText.trim());
  if (!value.ok) return { ...value, message: `${value.message} in check "${source}"` };
  return { ok: true, value: { kind: 'threshold', metric, op: op as Op, value: value.value, source: source.trim() } };
}

function parseCheckValue(metric: MetricName, text: string): Parsed<number> {
  switch (unitOf(metric)) {
    case 'fraction': {
      const asNumber = Number(text);
      const r = parsePercent(text.endsWith('%') || Number.isNaN(asNumber) ? text : asNumber);
      return r.ok ? r : { ok: false, message: `invalid ${metric} "${text}"`, expected: PERCENT_EXPECTED };
    }
    case 'duration': {
      const asNumber = Number(text);
      const r = parseDuration(/^\d+$/.test(text) ? asNumber : text);
      return r.ok ? r : { ok: false, message: `invalid latency "${text}"`, expected: DURATION_EXPECTED };
    }
    case 'count': {
      const n = Number(text);
      return /^\d+(\.\d+)?$/.test(text) && Number.isFinite(n)
        ? { ok: true, value: n }
        : { ok: false, message: `invalid ${metric} "${text}"`, expected: 'a plain number, without a unit' };
    }
  }
}
