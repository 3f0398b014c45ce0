import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBase64, pae, parseEnvelope } from './dsse.js';

void describe('pae', () => {
  void test('the DSSE specification vector, byte for byte', () => {
    const got = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
    const expected = Buffer.from('DSSEv1 29 http://example.com/HelloWorld 11 hello world', 'ascii');
    assert.deepEqual(got, expected);
  });
  void test('lengths count bytes, not characters', () => {
    assert.equal(pae('t/é', Buffer.from('日本')).toString('utf8'), 'DSSEv1 4 t/é 6 日本');
    assert.equal(pae('t', Buffer.alloc(0)).toString('utf8'), 'DSSEv1 1 t 0 ');
  });
});

void describe('parseEnvelope', () => {
  const good = { payload: Buffer.from('{"a":1}').toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ keyid: 'k', sig: 'AAAA' }] };
  void test('accepts a well-formed envelope and decodes the payload', () => {
    const r = parseEnvelope(good);
    assert.ok(r.ok);
    assert.equal(r.payload.toString(), '{"a":1}');
  });
  void test('a missing keyid becomes empty; URL-safe base64 is accepted', () => {
    const r = parseEnvelope({ ...good, payload: Buffer.from([0xfb, 0xff]).toString('base64url'), signatures: [{ sig: 'AAAA' }] });
    assert.ok(r.ok);
    assert.deepEqual(r.payload, Buffer.from([0xfb, 0xff]));
    assert.equal(r.envelope.signatures[0]?.keyid, '');
  });
  void test('malformed envelopes get a message naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [null, /must be a JSON object/],
      [[], /must be a JSON object/],
      [{ ...good, payloadType: '' }, /"payloadType"/],
      [{ ...good, payload: 42 }, /"payload" must be a base64 string/],
      [{ ...good, payload: 'not base64!' }, /"payload" is not valid base64/],
      [{ ...good, signatures: [] }, /"signatures" must be a non-empty array/],
      [{ ...good, signatures: ['x'] }, /signatures\[0\] must be an object/],
      [{ ...good, signatures: [{ keyid: 'k', sig: '' }] }, /signatures\[0\]\.sig/],
      [{ ...good, signatures: [{ keyid: 3, sig: 'AAAA' }] }, /signatures\[0\]\.keyid/],
    ];
    for (const [value, pattern] of cases) {
      const r = parseEnvelope(value);
      assert.equal(r.ok, false, JSON.stringify(value));
      if (!r.ok) assert.match(r.message, pattern);
    }
  });
  void test('decodeBase64 is strict', () => {
    assert.equal(decodeBase64('a'), null);
    assert.equal(decodeBase64('ab$d'), null);
    assert.deepEqual(decodeBase64('aGk='), Buffer.from('hi'));
  });
});
