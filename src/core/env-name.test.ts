import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnvName, MAX_ENV_NAME } from './env-name.js';

test('environment names: as in slipway.yaml, one rule everywhere', () => {
  for (const ok of ['production', 'staging-eu', 'pr_12', '0', 'x'.repeat(MAX_ENV_NAME)]) assert.deepEqual(checkEnvName(ok), { ok: true }, ok);
  for (const bad of ['', 'Production', 'a/b', '-x', '_x', 'a\0b', '..', 'pr-12.preview', 'a b', 'x'.repeat(MAX_ENV_NAME + 1), 'ünï']) {
    const r = checkEnvName(bad);
    assert.ok(!r.ok && r.message.includes('invalid environment name') && r.hint.includes('slipway.yaml'), bad);
  }
});
