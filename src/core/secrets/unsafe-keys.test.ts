import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INJECTION_KEYS, unsafeChanges, unsafeKey } from './unsafe-keys.js';

describe('unsafeKey', () => {
  test('JavaScript object keys are "prototype"; loader, interpreter, module-path and shell variables are "injection"', () => {
    for (const k of ['__proto__', 'constructor', 'prototype']) assert.equal(unsafeKey(k)?.kind, 'prototype', k);
    for (const k of ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'LD_ANYTHING', 'DYLD_INSERT_LIBRARIES', ...INJECTION_KEYS]) assert.equal(unsafeKey(k)?.kind, 'injection', k);
  });

  test('ordinary names, and names that only look alike, are fine', () => {
    for (const k of ['LOG_LEVEL', 'DATABASE_URL', 'path', 'ld_preload', 'MY_PATH', 'NODE_ENV', 'ENVIRONMENT', 'OLD_PRELOAD', 'PROTOTYPE', '__PROTO__']) assert.equal(unsafeKey(k), undefined, k);
  });
});

describe('unsafeChanges', () => {
  test('loader and injection variables are refused unless allowUnsafe; object keys always; removing any is fine', () => {
    const keys = ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'NODE_OPTIONS', 'NODE_PATH', 'BASH_ENV', 'ENV', 'PATH', 'PYTHONPATH', 'JAVA_TOOL_OPTIONS', 'GCONV_PATH'];
    const sets = [...keys, '__proto__', 'LOG_LEVEL'].map((key) => ({ op: 'set' as const, key }));
    const refused = unsafeChanges(sets, { allowUnsafe: false });
    assert.deepEqual(refused.map((e) => e.key), [...keys, '__proto__']);
    for (const e of refused.slice(0, keys.length)) {
      assert.match(e.message, /changes which code a process loads or runs/);
      assert.match(e.hint, /--allow-unsafe/);
    }
    assert.deepEqual(unsafeChanges(sets, { allowUnsafe: true }).map((e) => e.key), ['__proto__']);
    for (const key of ['constructor', 'prototype']) assert.equal(unsafeChanges([{ op: 'set', key }], { allowUnsafe: true }).length, 1, key);
    assert.deepEqual(unsafeChanges([...keys, '__proto__'].map((key) => ({ op: 'unset' as const, key })), { allowUnsafe: false }), []);
  });
});
