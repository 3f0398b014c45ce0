// retention: in slipway.yaml — the log keys (logs_days, log_max_bytes) with every bad form refused
// at its place, and the good ones normalised.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigIssue, loadConfig, type ConfigIssue } from './load.js';
import { parseSize } from './values.js';

const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;
const retention = (...lines: string[]) => yaml('app: hello', 'build:', '  artifact: [dist/]', 'retention:', ...lines.map((l) => `  ${l}`));

function only(text: string): ConfigIssue {
  const { errors, config } = loadConfig('slipway.yaml', text);
  assert.equal(config, undefined, 'a config with errors must not be returned');
  assert.equal(errors.length, 1, `expected one error, got:\n${errors.map(formatConfigIssue).join('\n')}`);
  return errors[0]!;
}

void describe('retention: logs', () => {
  void test('logs_days that is not a whole number of days from 1 to 3650 is refused at its place', () => {
    for (const bad of ['0', '-1', '1.5', '3651', 'two', '14d', '[1]']) {
      const e = only(retention(`logs_days: ${bad}`));
      assert.deepEqual({ line: e.line, path: e.path }, { line: 5, path: 'retention.logs_days' }, `${bad}: ${formatConfigIssue(e)}`);
    }
    assert.match(formatConfigIssue(only(retention('logs_days: 0'))), /at least 1/);
  });

  void test('log_max_bytes that is not a size from 1KiB to 1TiB is refused, saying what a size looks like', () => {
    for (const bad of ['10', '512B', '10 mb', '10MBs', '-5MB', 'lots', '2TiB', '[1MB]', '1.5']) {
      const e = only(retention(`log_max_bytes: ${bad}`));
      assert.deepEqual({ line: e.line, path: e.path }, { line: 5, path: 'retention.log_max_bytes' }, `${bad}: ${formatConfigIssue(e)}`);
      assert.match(formatConfigIssue(e), /512KiB, 10MB or 1GiB/, bad);
    }
  });

  void test('good values are normalised to days and bytes; the defaults are 14 days and 10MiB', () => {
    const r = loadConfig('slipway.yaml', retention('logs_days: 3', 'log_max_bytes: 1.5MB')).config?.retention;
    assert.equal(r?.logsDays, 3);
    assert.equal(r?.logMaxBytes, 1_500_000);
    assert.equal(loadConfig('slipway.yaml', retention('log_max_bytes: 4096')).config?.retention?.logMaxBytes, 4096);
    assert.equal(loadConfig('slipway.yaml', retention('log_max_bytes: 64KiB')).config?.retention?.logMaxBytes, 65_536);
    const d = loadConfig('slipway.yaml', yaml('app: hello', 'build:', '  artifact: [dist/]')).config?.retention;
    assert.deepEqual([d?.logsDays, d?.logMaxBytes], [14, 10 * 1024 * 1024]);
  });

  void test('parseSize: units by powers of 1000 and 1024, refusals explained', () => {
    assert.deepEqual(parseSize('1GiB'), { ok: true, value: 1024 ** 3 });
    assert.deepEqual(parseSize('2 KB'), { ok: true, value: 2000 });
    assert.equal(parseSize('1e3MB').ok, false);
    assert.equal(parseSize(1.5).ok, false);
    assert.equal(parseSize(-1).ok, false);
    assert.equal(parseSize('99999999999999999GiB').ok, false);
  });
});

void describe('retention: min_age', () => {
  void test('a duration, 1h by default; a bad one is refused at its place', () => {
    assert.equal(loadConfig('slipway.yaml', retention('min_age: 10m')).config?.retention?.minAgeMs, 600_000);
    assert.equal(loadConfig('slipway.yaml', retention('releases: 2')).config?.retention?.minAgeMs, 3_600_000);
    for (const bad of ['ten', '-1s', '1d']) assert.equal(only(retention(`min_age: ${bad}`)).path, 'retention.min_age', bad);
  });
});
