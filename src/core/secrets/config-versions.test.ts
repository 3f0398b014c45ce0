import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfigChanges, checkConfigKey, checkConfigValue, type ConfigApply, type ConfigVersion } from './config-versions.js';

const meta = { at: '2024-05-01T10:00:00.000Z', actor: 'alice', env: 'production' };

function applied(r: ConfigApply): ConfigVersion {
  assert.ok(r.ok && r.changed, JSON.stringify(r));
  return r.version;
}

describe('applyConfigChanges', () => {
  test('the first change makes version 1; later ones count up, keep earlier values and list what changed', () => {
    const v1 = applied(applyConfigChanges(undefined, [{ op: 'set', key: 'LOG_LEVEL', value: 'info' }, { op: 'set', key: 'FEATURE_X', value: 'on' }], meta));
    assert.deepEqual(v1, { version: 1, values: { FEATURE_X: 'on', LOG_LEVEL: 'info' }, changedKeys: ['FEATURE_X', 'LOG_LEVEL'], at: meta.at, actor: 'alice' });
    const v2 = applied(applyConfigChanges(v1, [{ op: 'set', key: 'LOG_LEVEL', value: 'debug' }, { op: 'unset', key: 'FEATURE_X' }, { op: 'set', key: 'A', value: '' }], { at: 'later', actor: 'bob' }));
    assert.deepEqual(v2, { version: 2, values: { A: '', LOG_LEVEL: 'debug' }, changedKeys: ['A', 'FEATURE_X', 'LOG_LEVEL'], at: 'later', actor: 'bob' });
    assert.deepEqual(v1.values, { FEATURE_X: 'on', LOG_LEVEL: 'info' }, 'the earlier version is not changed');
  });

  test('a change that changes nothing makes no new version', () => {
    const v1 = applied(applyConfigChanges(undefined, [{ op: 'set', key: 'A', value: '1' }], meta));
    assert.deepEqual(applyConfigChanges(v1, [{ op: 'set', key: 'A', value: '1' }, { op: 'unset', key: 'ABSENT' }], meta), { ok: true, changed: false, version: v1 });
    assert.deepEqual(applyConfigChanges(undefined, [], meta), { ok: true, changed: false, version: undefined });
    const v2 = applied(applyConfigChanges(v1, [{ op: 'set', key: 'A', value: '1' }, { op: 'set', key: 'B', value: '2' }], meta));
    assert.deepEqual(v2.changedKeys, ['B']);
  });

  test('keys such as __proto__ are plain keys', () => {
    const v1 = applied(applyConfigChanges(undefined, [{ op: 'set', key: '__proto__', value: 'x' }, { op: 'set', key: 'constructor', value: 'y' }], meta));
    assert.deepEqual(Object.keys(v1.values), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(v1.values), Object.prototype);
    const v2 = applied(applyConfigChanges(v1, [{ op: 'unset', key: '__proto__' }], meta));
    assert.deepEqual(Object.keys(v2.values), ['constructor']);
  });

  test('every problem is reported and nothing is applied', () => {
    const r = applyConfigChanges(undefined, [
      { op: 'set', key: '1BAD', value: 'x' },
      { op: 'set', key: 'A', value: 'x' },
      { op: 'unset', key: 'A' },
      { op: 'set', key: 'PORT', value: '8080' },
      { op: 'set', key: 'AWS_KEY_ID', value: 'AKIAABCDEFGHIJKLMNOP' },
    ], meta);
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.key), ['1BAD', 'A', 'PORT', 'AWS_KEY_ID']);
    assert.ok(!JSON.stringify(r.errors).includes('AKIAABCDEFGHIJKLMNOP'), 'the value is never repeated');
  });
});

describe('checkConfigKey', () => {
  test('variable names; PORT and SLIPWAY_* are reserved', () => {
    for (const ok of ['A', 'log_level', '_X', 'A1']) assert.equal(checkConfigKey(ok), undefined, ok);
    assert.match(checkConfigKey('my-key')?.message ?? '', /invalid config key "my-key"/);
    assert.match(checkConfigKey('')?.message ?? '', /invalid config key ""/);
    assert.match(checkConfigKey('2X')?.message ?? '', /not starting with a digit/);
    assert.match(checkConfigKey('PORT')?.hint ?? '', /environments\.<env>\.port/);
    assert.match(checkConfigKey('SLIPWAY_HOME')?.message ?? '', /set by Slipway itself/);
  });
});

describe('checkConfigValue', () => {
  test('ordinary values pass', () => {
    for (const [k, v] of [['LOG_LEVEL', 'debug'], ['DATABASE_HOST', 'db.internal'], ['URL', 'https://example.com/path'], ['EMPTY_TOKEN', ''], ['MAX', 'x'.repeat(65536)]] as const) {
      assert.equal(checkConfigValue(k, v), undefined, k);
    }
  });

  test('credential formats and secret-named keys are refused with the secrets command, never echoing the value', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['GH', `ghp_${'a'.repeat(36)}`, /looks like a GitHub token/],
      ['DB_URL', 'postgres://app:hunter2@db/app', /looks like a password inside a URL/],
      ['KEY_PEM', '-----BEGIN RSA PRIVATE KEY-----', /looks like a private key/],
      ['API_TOKEN', 'abc', /API_TOKEN is named like a secret/],
      ['DB_PASSWORD', 'hunter2', /named like a secret/],
    ];
    for (const [key, value, message] of cases) {
      const issue = checkConfigValue(key, value, 'production');
      assert.ok(issue, key);
      assert.match(issue.message, message);
      assert.equal(issue.hint, `store it as a secret: slipway secrets set production ${key} (it reads the value from stdin)`);
      assert.ok(!issue.message.includes(value));
    }
  });

  test('NUL and oversize values', () => {
    assert.match(checkConfigValue('A', 'x\0y')?.message ?? '', /NUL character/);
    assert.match(checkConfigValue('A', 'é'.repeat(40000))?.message ?? '', /80000 bytes; at most 65536/);
  });
});
