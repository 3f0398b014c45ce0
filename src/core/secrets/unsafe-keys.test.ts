import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INJECTION_KEYS, unsafeKey } from './unsafe-keys.js';

describe('unsafeKey', () => {
  test('JavaScript object keys are "prototype"; loader, interpreter, module-path and shell variables are "injection"', () => {
    for (const k of ['__proto__', 'constructor', 'prototype']) assert.equal(unsafeKey(k)?.kind, 'prototype', k);
    for (const k of ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'LD_ANYTHING', 'DYLD_INSERT_LIBRARIES', ...INJECTION_KEYS]) assert.equal(unsafeKey(k)?.kind, 'injection', k);
  });

  test('ordinary names, and names that only look alike, are fine', () => {
    for (const k of ['LOG_LEVEL', 'DATABASE_URL', 'path', 'ld_preload', 'MY_PATH', 'NODE_ENV', 'ENVIRONMENT', 'OLD_PRELOAD', 'PROTOTYPE', '__PROTO__']) assert.equal(unsafeKey(k), undefined, k);
  });
});
