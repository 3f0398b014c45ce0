import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { digestOf, isDigest, parseDigestRef, resolveDigestRef, shortDigest } from './digest.js';

const HEX = 'ab'.repeat(32);

void describe('parseDigestRef', () => {
  void test('full digests with or without the algorithm, any case', () => {
    assert.deepEqual(parseDigestRef(`sha256:${HEX}`), { ok: true, kind: 'full', hex: HEX });
    assert.deepEqual(parseDigestRef(HEX.toUpperCase()), { ok: true, kind: 'full', hex: HEX });
    assert.deepEqual(parseDigestRef(` ${HEX} `), { ok: true, kind: 'full', hex: HEX });
  });
  void test('prefixes of 7 to 63 characters', () => {
    assert.deepEqual(parseDigestRef('abababa'), { ok: true, kind: 'prefix', prefix: 'abababa' });
    assert.deepEqual(parseDigestRef('sha256:ABABABAB'), { ok: true, kind: 'prefix', prefix: 'abababab' });
  });
  void test('malformed references say what is wrong', () => {
    const msg = (s: string): string => {
      const r = parseDigestRef(s);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.message;
    };
    assert.match(msg('abc'), /too short: give at least 7/);
    assert.match(msg('md5:abcdef0123'), /unsupported digest algorithm "md5"/);
    assert.match(msg('xyz12345'), /not a digest/);
    assert.match(msg(`${HEX}00`), /too long/);
    assert.match(msg('sha256:'), /empty digest/);
    assert.match(msg(''), /empty digest/);
  });
});

void describe('resolveDigestRef', () => {
  const known = [HEX, `abababac${'0'.repeat(56)}`, 'cd'.repeat(32)];
  void test('a unique prefix resolves; a full digest must exist', () => {
    assert.deepEqual(resolveDigestRef({ ok: true, kind: 'prefix', prefix: 'cdcdcdc' }, known, 'cdcdcdc'), { ok: true, hex: 'cd'.repeat(32) });
    assert.deepEqual(resolveDigestRef({ ok: true, kind: 'full', hex: HEX }, known, HEX), { ok: true, hex: HEX });
    const missing = resolveDigestRef({ ok: true, kind: 'full', hex: 'ef'.repeat(32) }, known, 'x');
    assert.equal(missing.ok ? '' : missing.reason, 'not-found');
  });
  void test('an ambiguous prefix lists the candidates', () => {
    const r = resolveDigestRef({ ok: true, kind: 'prefix', prefix: 'abababa' }, known, 'abababa');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'ambiguous');
      assert.match(r.message, /abababa matches 2 artifacts .*give more characters/);
    }
  });
});

void describe('digest helpers', () => {
  void test('digestOf, isDigest, shortDigest', () => {
    assert.equal(digestOf(HEX), `sha256:${HEX}`);
    assert.throws(() => digestOf('abc'));
    assert.equal(isDigest(`sha256:${HEX}`), true);
    assert.equal(isDigest(HEX), false);
    assert.equal(shortDigest(`sha256:${HEX}`), 'sha256:abababababab');
  });
});
