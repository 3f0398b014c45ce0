import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSecretName } from './names.js';
import { checkSecretValue } from './values.js';

test('secret names: upper-case environment variable names', () => {
  for (const ok of ['A', 'DATABASE_URL', '_PRIVATE', 'K8S_TOKEN_2']) assert.deepEqual(checkSecretName(ok), { ok: true }, ok);
  for (const bad of ['', 'database_url', '1TOKEN', 'API-KEY', 'A B', 'A=B', 'ÄPI', 'X'.repeat(129), 'A\0B']) {
    const r = checkSecretName(bad);
    assert.equal(r.ok, false, bad);
  }
  const lower = checkSecretName('api_key');
  assert.ok(!lower.ok && /invalid secret name "api_key"/.test(lower.message) && /did you mean API_KEY\?/.test(lower.hint));
  const digit = checkSecretName('9LIVES');
  assert.ok(!digit.ok && /not starting with a digit/.test(digit.message) && /DATABASE_URL/.test(digit.hint));
  const long = checkSecretName('X'.repeat(129));
  assert.ok(!long.ok && /129 characters/.test(long.message));
});

test('secret values: one trailing newline is trimmed unless exact', () => {
  const cases: Array<[string, string]> = [['token\n', 'token'], ['token\r\n', 'token'], ['token\n\n', 'token\n'], ['token', 'token'], ['a\nb\n', 'a\nb'], [' spaced ', ' spaced ']];
  for (const [input, stored] of cases) {
    const r = checkSecretValue(Buffer.from(input));
    assert.ok(r.ok);
    assert.equal(r.value.toString(), stored, JSON.stringify(input));
  }
  const exact = checkSecretValue(Buffer.from('token\n'), { exact: true });
  assert.ok(exact.ok && exact.value.toString() === 'token\n');
});

test('secret values: empty, oversize, NUL and non-UTF-8 are refused with a hint', () => {
  const expect = (input: Buffer, message: RegExp, opts = {}): void => {
    const r = checkSecretValue(input, opts);
    assert.ok(!r.ok, message.source);
    assert.match(r.message, message);
    assert.ok(r.hint.length > 0);
  };
  expect(Buffer.alloc(0), /is empty/);
  expect(Buffer.from('\n'), /is empty/);
  expect(Buffer.from('\r\n'), /is empty/);
  expect(Buffer.alloc(64 * 1024 + 1, 0x61), /65537 bytes; at most 65536/);
  expect(Buffer.from('a\0b'), /NUL byte/);
  expect(Buffer.from([0x61, 0xff, 0xfe]), /not valid UTF-8/);
  assert.ok(checkSecretValue(Buffer.alloc(64 * 1024, 0x61)).ok);
  assert.ok(checkSecretValue(Buffer.from(`${'a'.repeat(64 * 1024)}\n`)).ok, 'the trimmed newline does not count');
  assert.ok(checkSecretValue(Buffer.from('pässwörd ✓')).ok);
});
