import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseChanges, parseSecretBody } from './routes-config.js';

const usage = (message: RegExp) => (e: Error & { code?: string }): boolean => {
  assert.equal(e.code, 'usage');
  assert.match(e.message, message);
  return true;
};

describe('config API bodies', () => {
  test('set and unset become changes, in order', () => {
    assert.deepEqual(parseChanges({ set: { A: '1', B: '' }, unset: ['C'] }), [
      { op: 'set', key: 'A', value: '1' },
      { op: 'set', key: 'B', value: '' },
      { op: 'unset', key: 'C' },
    ]);
  });

  test('malformed bodies are refused, never repeating a value', () => {
    assert.throws(() => parseChanges([]), usage(/must be a JSON object/));
    assert.throws(() => parseChanges(null), usage(/must be a JSON object/));
    assert.throws(() => parseChanges({}), usage(/nothing to change/));
    assert.throws(() => parseChanges({ set: { A: '1' }, extra: 1 }), usage(/unknown field "extra"/));
    assert.throws(() => parseChanges({ set: ['A=1'] }), usage(/"set" must be an object/));
    assert.throws(() => parseChanges({ unset: 'A' }), usage(/"unset" must be a list/));
    assert.throws(() => parseChanges({ unset: [1] }), usage(/"unset" must be a list/));
    assert.throws(() => parseChanges({ set: { A: '1' }, allow_unsafe: true }), usage(/unknown field "allow_unsafe"/), 'only where the route reads it');
    assert.equal(parseChanges({ set: { A: '1' }, allow_unsafe: true }, ['allow_unsafe']).length, 1);
    assert.throws(() => parseChanges({ set: { A: 12345 } }), (e: Error) => /the value of A must be a string/.test(e.message) && !e.message.includes('12345'));
  });

  test('a secret body is base64 of the exact bytes', () => {
    assert.deepEqual(parseSecretBody({ value_base64: Buffer.from('v\n').toString('base64') }), { value: Buffer.from('v\n'), exact: false, allowUnsafe: false });
    assert.equal(parseSecretBody({ value_base64: 'dg==', allow_unsafe: true }).allowUnsafe, true);
    assert.equal(parseSecretBody({ value_base64: 'dg==', exact: true }).exact, true);
    for (const bad of [{}, { value: 'plain' }, { value_base64: 'not base64!' }, { value_base64: 'abc' }, { value_base64: 5 }]) {
      assert.throws(() => parseSecretBody(bad), usage(/"value_base64" must be the value in base64/));
    }
    assert.throws(() => parseSecretBody({ value_base64: 'dg==', exact: 'yes' }), usage(/"exact" must be true or false/));
  });
});
