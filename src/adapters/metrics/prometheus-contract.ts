// The contract every Prometheus the provider talks to must meet, as a reusable test suite: the
// unit test runs it against a tiny fake server, the system test against a real `prometheus`.
// The queries need no scraped data (they build their series with vector() and label_replace()).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prometheusProvider } from './prometheus.js';
import type { Measurement } from '../../ports/metrics.js';

const VARS = { release: 'v3', env: 'production', digest: 'sha256:0123' };

/** The queries of the contract, with what each must give; the fake server answers exactly these. */
export const CONTRACT_QUERIES = {
  one: 'vector(42)',
  scalar: 'scalar(vector(3))',
  none: 'absent(vector(1))',
  several: 'label_replace(vector(1), "x", "a", "", "") or label_replace(vector(2), "x", "b", "", "")',
  /** 7 only when `{{release}}` became `v3`; no series otherwise. */
  substituted: 'label_replace(vector(7), "r", "{{release}}", "", "") and on(r) label_replace(vector(1), "r", "v3", "", "")',
  matrix: 'vector(1)[1m:10s]',
  broken: 'sum(',
} as const;

const error = (m: Measurement<number>): string => (m.ok ? `(a value: ${m.value})` : m.error);

/**
 * Registers the contract tests against the Prometheus at `url()` (a function, so that a server
 * started in a `before` hook can give its port).
 */
export function prometheusContract(url: () => string): void {
  const q = (query: string) => prometheusProvider({ url: url() }).query(query, VARS);

  test('one series gives its value', async () => {
    assert.deepEqual(await q(CONTRACT_QUERIES.one), { ok: true, value: 42 });
  });

  test('a scalar gives its value', async () => {
    assert.deepEqual(await q(CONTRACT_QUERIES.scalar), { ok: true, value: 3 });
  });

  test('{{release}} is substituted before the query runs', async () => {
    assert.deepEqual(await q(CONTRACT_QUERIES.substituted), { ok: true, value: 7 });
  });

  test('no series is a measurement in error that says so', async () => {
    assert.match(error(await q(CONTRACT_QUERIES.none)), /returned no series: check its label values/);
  });

  test('several series is a measurement in error that names them and says to aggregate', async () => {
    assert.match(error(await q(CONTRACT_QUERIES.several)), /returned 2 series \(\{x="a"\}, \{x="b"\}\); aggregate them/);
  });

  test('a range vector is a measurement in error', async () => {
    assert.match(error(await q(CONTRACT_QUERIES.matrix)), /returned a range vector/);
  });

  test('a query that does not parse is refused with Prometheus’ own reason', async () => {
    assert.match(error(await q(CONTRACT_QUERIES.broken)), /^Prometheus refused sum\(: bad_data: .+/);
  });
}
