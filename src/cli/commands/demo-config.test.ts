// Given the example app's slipway.yaml, when the demo makes its own, then the windows and pauses
// are the demo's shorter ones and the file is still valid; given a changed example, a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/load.js';
import { demoSlipwayYaml } from './demo-config.js';

const EXAMPLE = readFileSync(fileURLToPath(new URL('../../../../examples/hello-service/slipway.yaml', import.meta.url)), 'utf8');

test('the demo’s slipway.yaml: 2 s windows measured every 500 ms, probes of /, 1 s canary pauses, valid', () => {
  const loaded = loadConfig('slipway.yaml', demoSlipwayYaml(EXAMPLE));
  assert.deepEqual(loaded.errors, []);
  const envs = loaded.config?.environments ?? [];
  assert.deepEqual(envs.map((e) => e.name), ['staging', 'production']);
  for (const e of envs) {
    assert.ok(e.verify.enabled);
    if (e.verify.enabled) {
      assert.equal(e.verify.windowMs, 2000, e.name);
      assert.equal(e.verify.intervalMs, 500, e.name);
      assert.equal(e.verify.probe?.path, '/', e.name);
    }
  }
  const production = envs.find((e) => e.name === 'production');
  assert.equal(production?.strategy.kind === 'canary' ? production.strategy.pauseMs : undefined, 1000);
});

test('an example whose text the demo does not find is a clear error, not other timings', () => {
  assert.throws(() => demoSlipwayYaml(EXAMPLE.replace('verify: { window: 5s }', 'verify: { window: 6s }')), /1 × "verify: \{ window: 5s \}" where the demo expects 2/);
});
