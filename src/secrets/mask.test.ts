import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createMasker, MASK, secretForms } from './mask.js';

const secret = 'sk_live_9fQ2xLr8Tz';
const m = createMasker([secret]);

/** Pushes chunks through a fresh stream and joins the output. */
function streamed(masker: ReturnType<typeof createMasker>, chunks: string[]): string {
  const s = masker.stream();
  return chunks.map((c) => s.push(c)).join('') + s.end();
}

/** The base64 characters of `text` that encode the bytes [from, to) alone, whatever surrounds them. */
function base64Core(encoded: string, from: number, to: number): string {
  return encoded.slice(Math.ceil((8 * from) / 6) + 1, Math.floor((8 * to) / 6) - 1);
}

describe('createMasker: forms', () => {
  test('plain value, anywhere, every occurrence', () => {
    assert.equal(m.mask(`token=${secret}; again ${secret}${secret}`), `token=${MASK}; again ${MASK}${MASK}`);
    assert.equal(m.mask('nothing secret here'), 'nothing secret here');
  });

  test('several values; a value inside another is masked with the longer one', () => {
    const mm = createMasker(['abcd1234', 'xxabcd1234yy', 'pass-word']);
    assert.equal(mm.mask('a xxabcd1234yy b abcd1234 c pass-word'), `a ${MASK} b ${MASK} c ${MASK}`);
  });

  test('values shorter than 4 characters are not masked (documented); 4 are', () => {
    const mm = createMasker(['abc', 'wxyz']);
    assert.equal(mm.mask('abc wxyz'), `abc ${MASK}`);
    assert.equal(createMasker(['', 'a']).forms, 0);
  });

  test('base64, standard and url-safe, padded or not', () => {
    const value = 'p>?p>?secret~~'; // has bytes that encode to + and / in standard base64
    const mm = createMasker([value]);
    const std = Buffer.from(value).toString('base64');
    assert.ok(/[+/]/.test(std));
    for (const enc of [std, std.replace(/=+$/, ''), Buffer.from(value).toString('base64url')]) {
      const out = mm.mask(`Authorization: Basic ${enc}`);
      assert.ok(out.startsWith('Authorization: Basic ****'), out);
      assert.ok(!out.includes(enc.slice(2, -2)), out);
    }
  });

  test('base64 of the value inside a larger base64 stream, at every alignment', () => {
    for (let before = 0; before < 6; before++) {
      for (let after = 0; after < 4; after++) {
        const bytes = Buffer.concat([Buffer.alloc(before, 0x41), Buffer.from(secret), Buffer.alloc(after, 0x5a)]);
        for (const encoded of [bytes.toString('base64'), bytes.toString('base64url')]) {
          const out = m.mask(encoded);
          const core = base64Core(encoded, before, before + secret.length);
          assert.ok(core.length >= 20);
          assert.ok(out.includes(MASK) && !out.includes(core), `before=${before} after=${after}: ${out}`);
        }
      }
    }
  });

  test('JSON-escaped forms: escaped quotes, backslashes, newlines, unicode as \\u, and JSON inside JSON', () => {
    const value = 'pa"ss\\wörd\nline2';
    const mm = createMasker([value]);
    const once = JSON.stringify({ password: value });
    assert.equal(mm.mask(once), `{"password":"${MASK}"}`);
    const ascii = once.replace(/ö/g, '\\u00f6');
    assert.equal(mm.mask(ascii), `{"password":"${MASK}"}`);
    const twice = JSON.stringify({ log: once });
    assert.ok(!mm.mask(twice).includes('ss\\\\\\\\w'), mm.mask(twice));
    assert.ok(mm.mask(twice).includes(MASK));
  });

  test('URL-encoded forms, with %20 or + for spaces', () => {
    const value = 'my pass&word=1';
    const mm = createMasker([value]);
    assert.equal(mm.mask(`https://x/?p=${encodeURIComponent(value)}&q=1`), `https://x/?p=${MASK}&q=1`);
    assert.equal(mm.mask(`p=${encodeURIComponent(value).replace(/%20/g, '+')}`), `p=${MASK}`);
  });

  test('multi-line values: the whole value, CRLF versions, and each line of at least 4 characters on its own', () => {
    const pem = '-----BEGIN KEY-----\nMIIBVQIBADANBgkq\nhkiG9w0B\nAQ\n-----END KEY-----';
    const mm = createMasker([pem]);
    assert.equal(mm.mask(`key:\n${pem}\ndone`), `key:\n${MASK}\ndone`);
    assert.equal(mm.mask(`key:\r\n${pem.replace(/\n/g, '\r\n')}\r\n`), `key:\r\n${MASK}\r\n`);
    const lines = mm.mask('[app] MIIBVQIBADANBgkq\n[app] hkiG9w0B\n[app] AQ\n');
    assert.equal(lines, `[app] ${MASK}\n[app] ${MASK}\n[app] AQ\n`);
  });

  test('secretForms lists each form once, longest first, none shorter than 4', () => {
    const forms = secretForms('a b"c\nline');
    assert.equal(new Set(forms).size, forms.length);
    for (let i = 1; i < forms.length; i++) assert.ok(forms[i - 1]!.length >= forms[i]!.length);
    assert.ok(forms.every((f) => f.length >= 4));
    assert.ok(forms.includes('a b"c\nline') && forms.includes('a b\\"c\\nline') && forms.includes('line') && forms.includes('a%20b%22c%0Aline'));
    assert.deepEqual(secretForms('abc'), []);
  });

  test('a masker without values changes nothing, and its stream holds nothing back', () => {
    const none = createMasker([]);
    assert.equal(none.mask('anything ****'), 'anything ****');
    const s = none.stream();
    assert.equal(s.push('partial'), 'partial');
    assert.equal(s.end(), '');
  });
});

describe('createMasker: the encodings apps use', () => {
  // A value with every character class the encoders treat differently: reserved URL characters,
  // a space, HTML specials, non-ASCII.
  const value = 'p/ss w:rd&<"\'>?é=9fQ2xLr8';
  const mv = createMasker([value]);
  const wholly = (out: string, prefix: string): void => assert.equal(out, `${prefix}${MASK}`);

  test('percent-encoding: either case, the forms that keep `/` (encodeURI, Python quote), + for spaces, every byte encoded', () => {
    const component = encodeURIComponent(value);
    const lower = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
    const everyByte = [...Buffer.from(value)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    // Python's quote(): RFC 3986 unreserved characters and `/` stay, everything else is %XX.
    const pythonQuote = [...value].map((c) => (/[A-Za-z0-9\-_.~/]/.test(c) ? c : [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))).join('');
    assert.ok(encodeURI(value).includes('/') && pythonQuote.includes('/') && !component.includes('/'));
    for (const enc of [component, lower(component), component.replace(/%20/g, '+'), encodeURI(value), lower(encodeURI(value)), pythonQuote, lower(pythonQuote), everyByte, everyByte.toUpperCase()]) {
      wholly(mv.mask(`GET /?p=${enc}`), 'GET /?p=');
    }
  });

  test('JSON with `\\/` (PHP) and with \\u escapes in either case', () => {
    const json = JSON.stringify(value).slice(1, -1);
    const phpJson = json.replace(/\//g, '\\/');
    for (const enc of [phpJson, phpJson.replace(/é/g, '\\u00e9'), phpJson.replace(/é/g, '\\u00E9')]) {
      assert.equal(mv.mask(`{"p":"${enc}"}`), `{"p":"${MASK}"}`, enc);
    }
  });

  test('HTML entities: named, decimal and hex references (either case), as the common escapers write them', () => {
    const named = (apos: string, quot = '&quot;'): string => value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': quot, "'": apos })[c] ?? c);
    const dec = [...value].map((c) => `&#${c.codePointAt(0)};`).join('');
    const hexRef = [...value].map((c) => `&#x${(c.codePointAt(0) ?? 0).toString(16)};`).join('');
    for (const enc of [named('&#39;'), named('&#x27;'), named('&#039;'), named('&#39;', '&#34;'), named('&apos;'), dec, hexRef, hexRef.toUpperCase().replace(/&#X/g, '&#x')]) {
      wholly(mv.mask(`<input value="${enc}`), '<input value="');
    }
  });

  test('hex in either case, also inside a longer hex dump', () => {
    const hex = Buffer.from(value).toString('hex');
    for (const enc of [hex, hex.toUpperCase()]) wholly(mv.mask(`bytes: ${enc}`), 'bytes: ');
    assert.equal(mv.mask(`00ff${hex}ff00`), `00ff${MASK}ff00`);
  });

  test('base64 of the UTF-16LE bytes (PowerShell -EncodedCommand), at every alignment', () => {
    const utf16 = Buffer.from(value, 'utf16le');
    wholly(mv.mask(`-EncodedCommand ${utf16.toString('base64')}`), '-EncodedCommand ');
    for (let before = 0; before < 3; before++) {
      const encoded = Buffer.concat([Buffer.alloc(before * 2, 0x41), utf16]).toString('base64');
      const core = base64Core(encoded, before * 2, before * 2 + utf16.length);
      assert.ok(!mv.mask(encoded).includes(core), `before=${before}`);
    }
  });

  /** `body` base64-encoded and wrapped at `width` columns with `eol`, as MIME (76) and PEM (64) do. */
  const wrapped = (body: Buffer, width: number, eol: string): string => body.toString('base64').replace(new RegExp(`.{${width}}(?=.)`, 'g'), `$&${eol}`);

  test('base64 wrapped at 76 columns (MIME) or 64 (PEM), the value at every offset of the stream, LF or CRLF', () => {
    for (const [width, eol] of [[76, '\r\n'], [76, '\n'], [64, '\n']] as const) {
      for (let before = 0; before < 80; before++) {
        const body = Buffer.concat([Buffer.alloc(before, 0x41), Buffer.from(value), Buffer.alloc(40, 0x5a)]);
        const text = `Content-Transfer-Encoding: base64${eol}${eol}${wrapped(body, width, eol)}${eol}`;
        const out = mv.mask(text);
        const core = base64Core(body.toString('base64'), before, before + Buffer.byteLength(value));
        const unwrapped = out.replace(/\r?\n/g, '');
        for (let k = 0; k + 6 <= core.length; k++) assert.ok(!unwrapped.includes(core.slice(k, k + 6)), `width=${width} before=${before}: ${core.slice(k, k + 6)} left in ${out}`);
        assert.equal(out.split('\n').length, text.split('\n').length, 'the line structure is kept');
        assert.equal(streamed(mv, [...text]), out, 'the same when streamed a character at a time');
      }
    }
  });

  test('a line break is crossed only inside a wrapped block: an ordinary line that ends like a form is not held back', () => {
    const b64 = Buffer.from(value).toString('base64');
    const s = mv.stream();
    assert.equal(s.push(`ends with ${b64.slice(0, 3)}\n`), `ends with ${b64.slice(0, 3)}\n`);
    assert.equal(s.push(`${b64.slice(3)} next\n`), `${b64.slice(3)} next\n`);
    assert.equal(s.end(), '');
  });
});

describe('createMasker: Slipway API tokens, by their form', () => {
  const token = `slw_${'Ab3-_'.repeat(8)}xyz`;
  test('a token is masked without being given, anywhere in the text; a longer or shorter run is not a token', () => {
    assert.equal(token.length, 47);
    const none = createMasker([]);
    assert.equal(none.mask(`Authorization: Bearer ${token}\n`), `Authorization: Bearer ${MASK}\n`);
    assert.equal(none.mask(`"${token}","${token}"`), `"${MASK}","${MASK}"`);
    assert.equal(none.mask(`${token}a`), `${token}a`);
    assert.equal(none.mask(token.slice(0, -1)), token.slice(0, -1));
    assert.equal(none.mask('slw_ is the prefix; slow, slwx'), 'slw_ is the prefix; slow, slwx');
  });
  test('a token split at every position across two chunks of a stream', () => {
    const text = `token=${token} done`;
    for (let cut = 0; cut <= text.length; cut++) assert.equal(streamed(createMasker(['unrelated-secret']), [text.slice(0, cut), text.slice(cut)]), `token=${MASK} done`, `cut at ${cut}`);
    assert.equal(streamed(createMasker([]), [text.slice(0, 20)]), text.slice(0, 20), 'a stream that ends inside a would-be token gives it back');
  });
});

describe('createMasker: streams', () => {
  const text = `before ${secret} after`;

  test('a secret split at every position across two chunks', () => {
    for (let cut = 0; cut <= text.length; cut++) {
      const out = streamed(m, [text.slice(0, cut), text.slice(cut)]);
      assert.equal(out, `before ${MASK} after`, `cut at ${cut}`);
    }
  });

  test('a secret split at every pair of positions across three chunks', () => {
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b++) {
        const out = streamed(m, [text.slice(0, a), text.slice(a, b), text.slice(b)]);
        assert.equal(out, `before ${MASK} after`, `cuts at ${a}, ${b}`);
      }
    }
  });

  test('a base64 form split across chunks, one character at a time', () => {
    const encoded = Buffer.from(`xx${secret}yyy`).toString('base64');
    assert.equal(streamed(m, [...encoded]), m.mask(encoded));
    assert.ok(m.mask(encoded).includes(MASK));
  });

  test('only a tail that could begin a secret is held back; everything else comes out at once', () => {
    const s = m.stream();
    assert.equal(s.push('log line one\nvalue is sk_li'), 'log line one\nvalue is ');
    assert.equal(s.push('ve_9fQ'), '');
    assert.equal(s.push('2xLr8Tz done\n'), `sk_live_9fQ2xLr8Tz done\n`.replace(secret, MASK));
    assert.equal(s.push('sk_lime is not it\n'), 'sk_lime is not it\n');
    assert.equal(s.push('ends with sk'), 'ends with ');
    assert.equal(s.end(), 'sk');
    assert.equal(s.push('reused'), 'reused');
  });

  test('the same text streamed or masked at once gives the same output (property)', () => {
    const valueArb = fc.string({ minLength: 4, maxLength: 40, unit: fc.constantFrom(...'abcxyz01_-+/=\\"\n é') }).filter((v) => !v.includes('*'));
    fc.assert(
      fc.property(
        fc.array(valueArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.oneof(fc.string({ maxLength: 20, unit: fc.constantFrom(...'abcxyz01 \n"') }), fc.nat(2)), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom<'plain' | 'json' | 'base64'>('plain', 'json', 'base64'),
        (values, parts, sizes, encoding) => {
          const piece = (p: string | number): string => (typeof p === 'number' ? (values[p % values.length] ?? '') : p);
          let text = parts.map(piece).join('');
          if (encoding === 'json') text = JSON.stringify({ log: text });
          if (encoding === 'base64') text = Buffer.from(text).toString('base64');
          const mm = createMasker(values);
          const chunks: string[] = [];
          for (let i = 0, k = 0; i < text.length; k++) {
            const size = sizes[k % sizes.length] ?? 1;
            chunks.push(text.slice(i, i + size));
            i += size;
          }
          const once = mm.mask(text);
          assert.equal(streamed(mm, chunks), once);
          if (encoding === 'plain') for (const v of values) assert.ok(!once.includes(v), `${JSON.stringify(v)} left in ${JSON.stringify(once)}`);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('a value never survives random chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 30 }).filter((v) => !v.includes('*')),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        fc.array(fc.nat(60), { maxLength: 6 }),
        (value, before, after, cuts) => {
          const text = `${before}${value}${after}`;
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...points].map((p, i) => text.slice(p, points[i] ?? text.length));
          const out = streamed(createMasker([value]), chunks);
          assert.ok(!out.includes(value), `${JSON.stringify(value)} left in ${JSON.stringify(out)}`);
          assert.ok(out.includes(MASK));
        },
      ),
      { numRuns: 500 },
    );
  });
});
