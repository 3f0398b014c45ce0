import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MASK, createMasker, formsOf } from './mask.js';

const SECRET = 's3cr3t-Value/with+chars"and\\slashes';

/** Feeds `text` to a stream in chunks cut at `cuts` and returns everything it let out. */
function streamed(values: string[], text: string, cuts: number[]): string {
  const s = createMasker(values).stream();
  let out = '';
  let at = 0;
  for (const c of [...cuts, text.length]) {
    out += s.push(text.slice(at, c));
    at = c;
  }
  return out + s.end();
}

void describe('masker', () => {
  void test('masks the plain, JSON-escaped, URL-encoded and base64 forms', () => {
    const m = createMasker([SECRET]);
    const b64 = Buffer.from(SECRET).toString('base64');
    const text = [SECRET, JSON.stringify({ SECRET }), encodeURIComponent(SECRET), b64, Buffer.from(`x${SECRET}`).toString('base64'), Buffer.from(`xy${SECRET}`).toString('base64url')].join('\n');
    const masked = m.mask(text);
    assert.ok(!masked.includes(SECRET));
    assert.ok(!masked.includes(JSON.stringify(SECRET).slice(1, -1)));
    assert.ok(!masked.includes(encodeURIComponent(SECRET)));
    for (const f of formsOf(SECRET)) assert.ok(!masked.includes(f), `form ${f} leaked`);
    assert.equal(masked.split('\n')[0], MASK);
  });

  void test('text without secrets passes unchanged, also through a stream', () => {
    const text = 'hello world\nnothing to see\n';
    assert.equal(createMasker([SECRET]).mask(text), text);
    assert.equal(streamed([SECRET], text, [3, 7, 12]), text);
  });

  void test('a secret split across chunks at any position is masked', () => {
    const text = `before ${SECRET} after\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const out = streamed([SECRET], text, [cut]);
      assert.equal(out, `before ${MASK} after\n`, `cut at ${cut}`);
    }
    // one character at a time
    assert.equal(streamed([SECRET], text, Array.from({ length: text.length - 1 }, (_, i) => i + 1)), `before ${MASK} after\n`);
  });

  void test('the longest of overlapping values wins; several values at once', () => {
    const out = createMasker(['abcdef', 'abcdefghij', 'zzzzzz']).mask('x abcdefghij y abcdef z zzzzzz');
    assert.equal(out, `x ${MASK} y ${MASK} z ${MASK}`);
  });

  void test('empty values are ignored; a masker with none is the identity', () => {
    const m = createMasker(['']);
    assert.equal(m.mask('anything'), 'anything');
    const s = m.stream();
    assert.equal(s.push('abc') + s.end(), 'abc');
  });

  void test('regular-expression characters in values are taken literally', () => {
    assert.equal(createMasker(['a.b*c(d)']).mask('a.b*c(d) aXbbc(d)'), `${MASK} aXbbc(d)`);
  });
});

void test('property: however the output is chunked, no secret gets through a stream', () => {
  const secret = 'pa55word';
  const text = fc.array(fc.oneof(fc.constantFrom('p', 'a', '5', 'w', 'o', 'r', 'd', '\n', ' ', 'x'), fc.constant(secret)), { maxLength: 60 }).map((xs) => xs.join(''));
  fc.assert(
    fc.property(text, fc.array(fc.nat(200), { maxLength: 8 }), (t, rawCuts) => {
      const cuts = [...new Set(rawCuts.map((c) => c % (t.length + 1)))].sort((a, b) => a - b);
      const out = streamed([secret], t, cuts);
      assert.ok(!out.includes(secret), JSON.stringify({ t, cuts, out }));
      assert.equal(out, createMasker([secret]).mask(t));
    }),
    { numRuns: 500 },
  );
});
