import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SlipwayConfig } from '../config/types.js';
import { applySettingsChanges, effectiveSettings, formatDuration, parseSetting, withSettings, type SettingsVersion } from './settings.js';

const meta = { at: '2026-01-01T00:00:00.000Z', actor: 'alice' };

const config: SlipwayConfig = {
  app: 'a',
  pipeline: { concurrency: 2, timeoutMs: 1000 },
  build: { artifact: ['dist/'], timeoutMs: 1000, env: {}, secrets: [], keep: [] },
  gates: [],
  run: { command: 'node s.js', instances: 1, health: { path: '/healthz', intervalMs: 1000, timeoutMs: 2000, startTimeoutMs: 30_000 }, stopGraceMs: 10_000 },
  environments: [
    { name: 'staging', port: 8081, deploy: 'manual', approval: 'none', strategy: { kind: 'blue-green' }, verify: { enabled: false }, rollback: 'auto' },
    { name: 'production', deploy: 'manual', approval: 'none', strategy: { kind: 'blue-green' }, verify: { enabled: false }, rollback: 'auto', instances: 3 },
  ],
};

describe('parseSetting', () => {
  test('typed values', () => {
    assert.deepEqual(parseSetting('port', '8090'), { ok: true, key: 'port', value: 8090 });
    assert.deepEqual(parseSetting('instances', ' 2 '), { ok: true, key: 'instances', value: 2 });
    assert.deepEqual(parseSetting('health_path', '/ready'), { ok: true, key: 'health_path', value: '/ready' });
    assert.deepEqual(parseSetting('health_timeout', '1.5s'), { ok: true, key: 'health_timeout', value: 1500 });
    assert.deepEqual(parseSetting('start_timeout', '2500'), { ok: true, key: 'start_timeout', value: 2500 });
  });

  test('malformed values and unknown keys are named with what was expected', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['port', '0', /port number from 1 to 65535, not "0"/],
      ['port', '70000', /from 1 to 65535/],
      ['port', '80a', /not "80a"/],
      ['port', '', /not ""/],
      ['instances', '0', /from 1 to 64/],
      ['instances', '65', /from 1 to 64/],
      ['instances', '1.5', /whole number/],
      ['health_path', 'healthz', /starting with \//],
      ['health_path', '/a b', /without spaces/],
      ['health_timeout', '0s', /duration such as/],
      ['health_timeout', 'soon', /not "soon"/],
      ['verbosity', '1', /unknown setting "verbosity"/],
    ];
    for (const [key, value, message] of bad) {
      const r = parseSetting(key, value);
      assert.ok(!r.ok, `${key}=${value}`);
      assert.match(r.issue.message, message);
    }
    const typo = parseSetting('HEALTH-PATH', '/x');
    assert.ok(!typo.ok && typo.issue.hint === 'did you mean health_path?');
  });
});

describe('applySettingsChanges', () => {
  test('versions count up, record what changed, and unset goes back to slipway.yaml', () => {
    const r1 = applySettingsChanges(undefined, [{ op: 'set', key: 'instances', value: '2' }, { op: 'set', key: 'port', value: '9000' }], meta);
    assert.ok(r1.ok && r1.changed);
    assert.deepEqual(r1.version, { version: 1, values: { port: 9000, instances: 2 }, changedKeys: ['port', 'instances'], ...meta });
    const r2 = applySettingsChanges(r1.version, [{ op: 'unset', key: 'port' }, { op: 'set', key: 'instances', value: '2' }], meta);
    assert.ok(r2.ok && r2.changed);
    assert.deepEqual(r2.version.values, { instances: 2 });
    assert.deepEqual(r2.version.changedKeys, ['port']);
    const same = applySettingsChanges(r2.version, [{ op: 'set', key: 'instances', value: '2' }], meta);
    assert.deepEqual(same, { ok: true, changed: false, version: r2.version });
  });

  test('every problem is reported and nothing is applied', () => {
    const r = applySettingsChanges(undefined, [{ op: 'set', key: 'port', value: 'x' }, { op: 'set', key: 'port', value: '1' }, { op: 'unset', key: 'nope' }], meta);
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.key), ['port', 'port', 'nope']);
  });
});

describe('withSettings and effectiveSettings', () => {
  const overrides: SettingsVersion = { version: 4, values: { port: 9000, instances: 2, health_timeout: 500, stop_grace: 1000 }, changedKeys: ['port'], ...meta };

  test('overrides apply to the one environment and to run', () => {
    const c = withSettings(config, 'staging', overrides.values);
    assert.equal(c.environments[0]?.port, 9000);
    assert.equal(c.environments[0]?.instances, 2);
    assert.equal(c.environments[1]?.instances, 3, 'production is left alone');
    assert.equal(c.run.health.timeoutMs, 500);
    assert.equal(c.run.health.path, '/healthz');
    assert.equal(c.run.stopGraceMs, 1000);
    assert.equal(config.run.health.timeoutMs, 2000, 'the input is not changed');
    assert.equal(withSettings(config, 'staging', {}), config);
  });

  test('each setting says where it comes from', () => {
    const explicit = new Set(['run.health.path']);
    const rows = effectiveSettings(config, 'staging', overrides, (p) => explicit.has(p.join('.')));
    const by = Object.fromEntries(rows.map((r) => [r.key, r]));
    assert.deepEqual([by.port?.display, by.port?.source, by.port?.from], ['9000', 'env set', 'env set v4']);
    assert.deepEqual([by.health_path?.display, by.health_path?.source, by.health_path?.from], ['/healthz', 'slipway.yaml', 'run.health.path']);
    assert.deepEqual([by.start_timeout?.display, by.start_timeout?.source], ['30s', 'default']);
    assert.deepEqual([by.health_timeout?.display, by.health_timeout?.source], ['500ms', 'env set']);
    const prod = Object.fromEntries(effectiveSettings(config, 'production', undefined, () => false, 41234).map((r) => [r.key, r]));
    assert.deepEqual([prod.instances?.display, prod.instances?.source, prod.instances?.from], ['3', 'slipway.yaml', 'environments.production.instances']);
    assert.deepEqual([prod.port?.display, prod.port?.source], ['41234', 'default']);
  });

  test('formatDuration picks the largest exact unit', () => {
    assert.deepEqual([1500, 30_000, 120_000, 7_200_000, 1].map(formatDuration), ['1500ms', '30s', '2m', '2h', '1ms']);
  });
});
