import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson } from './canonical-json.js';

void describe('canonicalJson', () => {
  void test('sorts keys at every depth and leaves no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });
  void test('the same value built in another order gives the same string', () => {
    const one: Record<string, number> = {};
    const two: Record<string, number> = {};
    for (const k of ['k1', 'k2', 'k3']) one[k] = 1;
    for (const k of ['k3', 'k1', 'k2']) two[k] = 1;
    assert.equal(canonicalJson(one), canonicalJson(two));
  });
  void test('orders by code point, not UTF-16 unit', () => {
    // U+FF5E (one UTF-16 unit, 0xFF5E) sorts before U+1F600 (surrogates 0xD83D…) by JS default, after by code point.
    assert.equal(canonicalJson({ '\u{1F600}': 1, '\uFF5E': 2 }), '{"～":2,"😀":1}');
  });
  void test('drops undefined properties, keeps null, escapes strings', () => {
    assert.equal(canonicalJson({ a: undefined, b: null, c: 'q"\n' }), '{"b":null,"c":"q\\"\\n"}');
  });
  void test('refuses what JSON cannot hold, naming where', () => {
    assert.throws(() => canonicalJson({ a: [1, NaN] }), /\$\.a\[1\] is not a finite number/);
    assert.throws(() => canonicalJson({ f: () => 1 }), /\$\.f has type function/);
    assert.throws(() => canonicalJson({ n: 1n }), /\$\.n has type bigint/);
  });
});
