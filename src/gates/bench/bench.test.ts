// Tests of the bench gate: the output format with its malformed forms, and the comparison on
// synthetic samples drawn from a seeded generator (so every run sees the same numbers).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectBenchOutput, combineBenchRuns, compareBench, formatBenchComparison, parseBenchOutput, selectBenchText, type BenchMetric } from './index.js';
import { prng } from '../../core/verification/test-helpers.js';

/** n normal samples (Box–Muller) with the given mean and standard deviation. */
function normal(seed: number, n: number, mu: number, sigma: number): number[] {
  const u = prng(seed);
  const out: number[] = [];
  while (out.length < n) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const th = 2 * Math.PI * u();
    out.push(mu + sigma * r * Math.cos(th), mu + sigma * r * Math.sin(th));
  }
  return out.slice(0, n);
}

const latency = (samples: number[]): BenchMetric => ({ name: 'req_latency_ms', unit: 'ms', better: 'lower', samples });
const throughput = (samples: number[]): BenchMetric => ({ name: 'rps', better: 'higher', samples });

describe('parseBenchOutput', () => {
  test('accepts one JSON document', () => {
    const r = parseBenchOutput('{"version":1,"metrics":[{"name":"req_latency_ms","unit":"ms","better":"lower","samples":[1,2.5,3]}]}');
    assert.deepEqual(r, { ok: true, metrics: [{ name: 'req_latency_ms', unit: 'ms', better: 'lower', samples: [1, 2.5, 3] }] });
  });

  test('accepts progress lines followed by the JSON as the last line, and defaults better to lower', () => {
    const r = parseBenchOutput('warming up\nrun 1/3\n{"metrics":[{"name":"p50","samples":[4]}]}\n\n');
    assert.deepEqual(r, { ok: true, metrics: [{ name: 'p50', better: 'lower', samples: [4] }] });
  });

  test('accepts pretty-printed JSON spanning several lines', () => {
    const r = parseBenchOutput(JSON.stringify({ metrics: [{ name: 'rps', better: 'higher', samples: [10, 11] }] }, null, 2));
    assert.equal(r.ok, true);
  });

  const bad: [string, string, RegExp][] = [
    ['empty output', '  \n', /empty: the step printed no JSON line and wrote nothing to \$SLIPWAY_BENCH_OUTPUT/],
    ['last line not JSON', 'done in 3s', /the last line of output is not JSON .*: done in 3s/],
    ['a JSON array', '[1,2]', /expected an object \{"metrics": \[\.\.\.\]\}, got an array/],
    ['no metrics', '{"results":[]}', /unknown top-level field "results"/],
    ['metrics not an array', '{"metrics":{}}', /"metrics" is an object, expected an array/],
    ['empty metrics', '{"metrics":[]}', /"metrics" is empty/],
    ['unknown version', '{"version":2,"metrics":[]}', /version is 2, only 1 is known/],
    ['metric not an object', '{"metrics":[3]}', /metrics\[0\] is 3, expected an object/],
    ['bad name', '{"metrics":[{"name":"has space","samples":[1]}]}', /metrics\[0\]\.name is "has space"/],
    ['missing name', '{"metrics":[{"samples":[1]}]}', /metrics\[0\]\.name is missing/],
    ['duplicate name', '{"metrics":[{"name":"a","samples":[1]},{"name":"a","samples":[2]}]}', /metrics\[1\] \("a"\): the name appears twice/],
    ['typo in a field', '{"metrics":[{"name":"a","sample":[1]}]}', /metrics\[0\] has an unknown field "sample"/],
    ['bad direction', '{"metrics":[{"name":"a","better":"faster","samples":[1]}]}', /\.better is "faster", expected "lower" or "higher"/],
    ['samples missing', '{"metrics":[{"name":"a"}]}', /metrics\[0\] \("a"\)\.samples is missing, expected an array of numbers/],
    ['samples empty', '{"metrics":[{"name":"a","samples":[]}]}', /\.samples is empty/],
    ['a string sample', '{"metrics":[{"name":"a","samples":[1,"2"]}]}', /\.samples\[1\] is "2", expected a finite number/],
    ['a null sample', '{"metrics":[{"name":"a","samples":[null]}]}', /\.samples\[0\] is null, expected a finite number/],
    ['a long unit', '{"metrics":[{"name":"a","unit":"milliseconds-per-request-x","samples":[1]}]}', /\.unit is "milliseconds-per-request-x"/],
  ];
  for (const [what, text, message] of bad) {
    test(`rejects ${what} with a clear message`, () => {
      const r = parseBenchOutput(text);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.message, message);
    });
  }

  test('selectBenchText prefers a non-empty output file over stdout', () => {
    assert.equal(selectBenchText({ fileText: '{"a":1}', stdout: 'x' }), '{"a":1}');
    assert.equal(selectBenchText({ fileText: '  ', stdout: 'x' }), 'x');
    assert.equal(selectBenchText({ stdout: 'x' }), 'x');
  });

  test('combineBenchRuns joins the samples of reruns by metric name', () => {
    const joined = combineBenchRuns([[latency([1, 2])], [latency([3]), throughput([9])]]);
    assert.deepEqual(joined, [latency([1, 2, 3]), throughput([9])]);
  });
});

describe('compareBench', () => {
  const base = normal(1, 30, 100, 5);

  test('a clear slowdown beyond the tolerance is a regression', () => {
    const r = compareBench([latency(base)], [latency(normal(2, 30, 130, 5))], { maxRegression: 0.1 });
    assert.equal(r.verdict, 'regression');
    const m = r.metrics[0];
    assert.equal(m?.verdict, 'regression');
    assert.ok((m?.changePct ?? 0) > 20 && (m?.changePct ?? 0) < 40, `change ${m?.changePct}`);
    assert.ok((m?.p ?? 1) < 1e-6);
    assert.match(m?.message ?? '', /ms → .* ms \(\+\d+\.\d %, p < 0\.0001\): higher beyond the 10 % tolerance — regression/);
  });

  test('a significant change within the tolerance passes', () => {
    const r = compareBench([latency(base)], [latency(normal(3, 30, 104, 1))], { maxRegression: 0.1 });
    assert.equal(r.metrics[0]?.verdict, 'pass');
    assert.ok((r.metrics[0]?.p ?? 1) < 0.05, 'the shift is real but small');
    assert.match(r.metrics[0]?.message ?? '', /within the 10 % tolerance/);
    assert.equal(r.verdict, 'pass');
  });

  test('a clear speed-up is an improvement, and improvements pass the gate', () => {
    const r = compareBench([latency(base)], [latency(normal(4, 30, 70, 5))]);
    assert.equal(r.metrics[0]?.verdict, 'improvement');
    assert.equal(r.verdict, 'pass');
  });

  test("'higher is better' metrics regress when they drop", () => {
    const r = compareBench([throughput(normal(5, 20, 1000, 30))], [throughput(normal(6, 20, 700, 30))]);
    assert.equal(r.metrics[0]?.verdict, 'regression');
    const up = compareBench([throughput(normal(5, 20, 1000, 30))], [throughput(normal(7, 20, 1400, 30))]);
    assert.equal(up.metrics[0]?.verdict, 'improvement');
  });

  test('too few samples: not enough data, whatever the numbers say', () => {
    const r = compareBench([latency(base.slice(0, 5))], [latency([500, 600, 700, 800, 900])], { minSamples: 10 });
    assert.equal(r.verdict, 'not-enough-data');
    assert.match(r.metrics[0]?.message ?? '', /not enough data — rerun with more samples \(baseline 5, candidate 5, need at least 10 each\)/);
    assert.equal(r.metrics[0]?.baselineMedian, undefined);
  });

  test('a large but noisy slowdown says "not enough data" rather than guessing', () => {
    // Very noisy samples (sd 60 % of the mean), 10 a side, true slowdown 20 %: whenever the
    // observed change is beyond the tolerance but not significant, the verdict must say so.
    let ambiguous = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const m = compareBench([latency(normal(seed, 10, 100, 60))], [latency(normal(seed + 500, 10, 120, 60))]).metrics[0];
      assert.ok(m !== undefined);
      if ((m.changePct ?? 0) > 10 && (m.p ?? 0) >= 0.05) {
        ambiguous++;
        assert.equal(m.verdict, 'not-enough-data', `seed ${seed}`);
        assert.match(m.message, /not significant at 95 % — not enough data, rerun with more samples/);
      }
      assert.notEqual(m.verdict === 'regression', (m.p ?? 1) >= 0.05 || (m.changePct ?? 0) <= 10, `seed ${seed}`);
    }
    assert.ok(ambiguous >= 5, `only ${ambiguous} ambiguous cases were drawn`);
  });

  test('never flaps to regression when nothing changed (200 seeded pairs)', () => {
    let regressions = 0;
    for (let seed = 100; seed < 300; seed++) {
      const r = compareBench([latency(normal(seed, 20, 100, 5))], [latency(normal(seed + 1000, 20, 100, 5))]);
      if (r.verdict === 'regression') regressions++;
    }
    assert.equal(regressions, 0);
  });

  test('always catches a 30 % slowdown with 20 samples a side (200 seeded pairs)', () => {
    for (let seed = 100; seed < 300; seed++) {
      const r = compareBench([latency(normal(seed, 20, 100, 5))], [latency(normal(seed + 1000, 20, 130, 5))]);
      assert.equal(r.verdict, 'regression', `seed ${seed}`);
    }
  });

  test('metrics missing on either side are named', () => {
    const r = compareBench([latency(base), throughput(base)], [latency(base), { name: 'new_metric', better: 'lower', samples: base }]);
    const byName = new Map(r.metrics.map((m) => [m.name, m]));
    assert.equal(byName.get('req_latency_ms')?.verdict, 'pass');
    assert.match(byName.get('new_metric')?.message ?? '', /no baseline for this metric yet/);
    assert.match(byName.get('rps')?.message ?? '', /the candidate did not report this metric/);
    assert.equal(r.verdict, 'not-enough-data');
  });

  test('a zero baseline median: any rise is beyond the tolerance', () => {
    const zeros = Array.from({ length: 20 }, () => 0);
    const r = compareBench([{ name: 'errors', better: 'lower', samples: zeros }], [{ name: 'errors', better: 'lower', samples: zeros.map(() => 3) }]);
    assert.equal(r.metrics[0]?.changePct, null);
    assert.equal(r.metrics[0]?.verdict, 'regression');
    const same = compareBench([{ name: 'errors', better: 'lower', samples: zeros }], [{ name: 'errors', better: 'lower', samples: zeros }]);
    assert.equal(same.metrics[0]?.verdict, 'pass');
    assert.equal(same.metrics[0]?.changePct, 0);
  });

  test('rejects nonsensical options', () => {
    assert.throws(() => compareBench([], [], { confidence: 1 }), /confidence must be within/);
    assert.throws(() => compareBench([], [], { maxRegression: -0.1 }), /maxRegression must be ≥ 0/);
    assert.throws(() => compareBench([], [], { minSamples: 1 }), /minSamples must be an integer ≥ 2/);
  });

  test('formatBenchComparison lists the worst first', () => {
    const r = compareBench([latency(base), throughput(normal(5, 20, 1000, 30))], [latency(normal(2, 30, 130, 5)), throughput(normal(11, 20, 1000, 30))]);
    const lines = formatBenchComparison(r);
    assert.match(lines[0] ?? '', /^regression\s+req_latency_ms: /);
    assert.match(lines[1] ?? '', /^pass\s+rps: /);
  });
});

describe('collectBenchOutput', () => {
  test('reads the output file when the step wrote one, else stdout; an unreadable path is an error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
    try {
      const file = path.join(dir, 'bench.json');
      writeFileSync(file, '{"metrics":[{"name":"from_file","samples":[1]}]}');
      const fromFile = await collectBenchOutput('{"metrics":[{"name":"from_stdout","samples":[1]}]}', file);
      assert.deepEqual(fromFile.ok && fromFile.metrics.map((m) => m.name), ['from_file']);
      const fromStdout = await collectBenchOutput('{"metrics":[{"name":"from_stdout","samples":[1]}]}', path.join(dir, 'none.json'));
      assert.deepEqual(fromStdout.ok && fromStdout.metrics.map((m) => m.name), ['from_stdout']);
      const bad = await collectBenchOutput('', dir);
      assert.equal(bad.ok, false);
      if (!bad.ok) assert.match(bad.message, /bench output: cannot read .*: EISDIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
