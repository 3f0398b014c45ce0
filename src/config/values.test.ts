// The small value languages: durations, percentages, check expressions, and the typo suggester.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCheckExpression, parseDuration, parsePercent } from './values.js';
import { didYouMean, editDistance } from './suggest.js';

void describe('parseDuration', () => {
  void test('reads every unit and plain milliseconds', () => {
    const cases: Array<[string | number, number]> = [['500ms', 500], ['30s', 30_000], ['2m', 120_000], ['1h', 3_600_000], ['1.5s', 1500], [250, 250], [0, 0], ['0s', 0]];
    for (const [input, ms] of cases) assert.deepEqual(parseDuration(input), { ok: true, value: ms }, String(input));
  });

  void test('refuses what it cannot read, saying what it expects', () => {
    for (const bad of ['5 minutes', '10', 's', '1d', '-1s', '1s2', -5, 1.5]) {
      const r = parseDuration(bad);
      assert.equal(r.ok, false, String(bad));
      assert.match(r.ok ? '' : (r.expected ?? ''), /500ms, 30s/);
    }
  });
});

void describe('parsePercent', () => {
  void test('reads percentages and fractions exactly', () => {
    const cases: Array<[string | number, number]> = [['10%', 0.1], ['0.5%', 0.005], ['7%', 0.07], ['100%', 1], ['0%', 0], [0.25, 0.25], [1, 1]];
    for (const [input, f] of cases) assert.deepEqual(parsePercent(input), { ok: true, value: f }, String(input));
  });

  void test('refuses values above 100% and numbers above 1, hinting at the % sign', () => {
    assert.equal(parsePercent('150%').ok, false);
    assert.equal(parsePercent('ten%').ok, false);
    assert.equal(parsePercent(-0.1).ok, false);
    const r = parsePercent(10);
    assert.deepEqual(r.ok ? undefined : r.hint, 'write "10%" for a percentage');
  });
});

void describe('parseCheckExpression', () => {
  void test('reads the metric, the comparison and the value in the metric unit', () => {
    assert.deepEqual(parseCheckExpression('error_rate < 1%'), {
      ok: true,
      value: { kind: 'threshold', metric: 'error_rate', op: '<', value: 0.01, source: 'error_rate < 1%' },
    });
    assert.deepEqual(parseCheckExpression(' p99_latency<=2s ').ok && parseCheckExpression(' p99_latency<=2s '), {
      ok: true,
      value: { kind: 'threshold', metric: 'p99_latency', op: '<=', value: 2000, source: 'p99_latency<=2s' },
    });
  });

  void test('explains each way an expression can be wrong', () => {
    const reasons = (s: string) => {
      const r = parseCheckExpression(s);
      assert.equal(r.ok, false, s);
      return r.ok ? '' : `${r.message} | ${r.expected ?? ''} | ${r.hint ?? ''}`;
    };
    assert.match(reasons('error_rate'), /^cannot read check "error_rate" \| `<metric> <op> <value>`/);
    assert.match(reasons('eror_rate < 1%'), /unknown metric "eror_rate".*did you mean "error_rate"\?/);
    assert.match(reasons('restarts = 0'), /unknown comparison "="/);
    assert.match(reasons('error_rate < 2'), /invalid error_rate "2"/);
    assert.match(reasons('p99_latency < fast'), /invalid latency "fast"/);
    assert.match(reasons('request_count > 10%'), /invalid request_count "10%"/);
  });
});

void describe('didYouMean', () => {
  void test('suggests a close candidate and nothing for a far one', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(didYouMean('canery', ['canary', 'pause']), 'canary');
    assert.equal(didYouMean('promote-from', ['promote_from', 'port']), 'promote_from');
    assert.equal(didYouMean('zzz', ['canary', 'pause']), undefined);
  });
});
