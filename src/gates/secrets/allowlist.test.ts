// The allowlist: its file format with every malformed form, path globs, and how entries apply.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAllowlist, globToRegExp, loadAllowlist, parseAllowlist, type Allowlist, type SecretFinding } from './index.js';

const finding = (file: string, rule = 'github-token', fingerprint = 'a'.repeat(32)): SecretFinding => ({
  file,
  line: 1,
  column: 1,
  rule,
  description: '',
  masked: '****',
  fingerprint,
  secretId: fingerprint,
});

const parsed = (text: string): Allowlist => {
  const r = parseAllowlist(text, 'allow.yaml');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.allowlist;
};

describe('parseAllowlist', () => {
  test('reads entries by path, rule and fingerprint, with their source line', () => {
    const a = parsed(
      [
        'allow:',
        '  - path: "test/fixtures/**"',
        '    reason: fake keys for the parser tests',
        '  - rule: jwt',
        '    path: docs/',
        '    reason: example tokens',
        '    expires: 2030-01-31',
        `  - fingerprint: ${'0123456789abcdef'.repeat(2)}`,
        '    reason: revoked demo key',
      ].join('\n'),
    );
    assert.deepEqual(a.entries, [
      { path: 'test/fixtures/**', reason: 'fake keys for the parser tests', source: 'allow.yaml:2' },
      { rule: 'jwt', path: 'docs/', expires: '2030-01-31', reason: 'example tokens', source: 'allow.yaml:4' },
      { fingerprint: '0123456789abcdef'.repeat(2), reason: 'revoked demo key', source: 'allow.yaml:8' },
    ]);
  });

  test('JSON is accepted too, and an empty file allows nothing', () => {
    assert.equal(parsed('{"allow":[{"rule":"jwt","reason":"docs"}]}').entries.length, 1);
    assert.deepEqual(parsed('').entries, []);
    assert.deepEqual(parsed('allow: []').entries, []);
  });

  const bad: [string, string, RegExp][] = [
    ['a missing reason', 'allow:\n  - path: a/**\n', /allow\.yaml:2: allow\[0\] has no reason: say why/],
    ['an empty reason', 'allow:\n  - rule: jwt\n    reason: "  "\n', /allow\[0\] has no reason/],
    ['no matcher', 'allow:\n  - reason: because\n', /allow\[0\] needs at least one of path, rule, fingerprint/],
    ['an unknown rule', 'allow:\n  - rule: jwtt\n    reason: x\n', /allow\[0\]\.rule "jwtt" is not a rule id \(known: private-key,/],
    ['a short fingerprint', 'allow:\n  - fingerprint: abc\n    reason: x\n', /fingerprint must be the 32 hex digits/],
    ['a numeric fingerprint', 'allow:\n  - fingerprint: 12345\n    reason: x\n', /fingerprint must be a string \(put it in quotes\)/],
    ['an unknown key', 'allow:\n  - path: a\n    reasons: x\n', /has an unknown key "reasons"/],
    ['a bad date', 'allow:\n  - path: a\n    reason: x\n    expires: someday\n', /expires must be a date/],
    ['a bad glob', 'allow:\n  - path: "a/{b,c"\n    reason: x\n', /unbalanced "\{"/],
    ['a list at the top', '- path: a\n', /allow\.yaml:1: expected a mapping with an "allow" list/],
    ['allow not a list', 'allow: yes\n', /"allow" must be a list/],
    ['an unknown top-level key', 'allowed:\n  - path: a\n', /unknown key "allowed" \(expected "allow"\)/],
    ['an entry that is not a mapping', 'allow:\n  - just a string\n', /allow\[0\] must be a mapping/],
    ['broken YAML', 'allow:\n  - path: [a\n', /^allow\.yaml:\d+: /],
  ];
  for (const [what, text, message] of bad) {
    test(`rejects ${what}`, () => {
      const r = parseAllowlist(text, 'allow.yaml');
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(r.errors.some((e) => message.test(e)), r.errors.join('\n'));
    });
  }

  test('loadAllowlist names a missing file', async () => {
    const r = await loadAllowlist('/nonexistent/slipway/allow.yaml', '.slipway/allow.yaml');
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.errors[0] ?? '', /^\.slipway\/allow\.yaml: allowlist file not found/);
  });

  test('reports every error at once', () => {
    const r = parseAllowlist('allow:\n  - path: a\n  - rule: nope\n', 'allow.yaml');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.errors.length, 3);
  });
});

describe('globs', () => {
  const cases: [string, string, boolean][] = [
    ['test/fixtures/**', 'test/fixtures/a/b.txt', true],
    ['test/fixtures/**', 'test/fixturesX/a', false],
    ['test/fixtures', 'test/fixtures/a/b.txt', true],
    ['docs/', 'docs/guide.md', true],
    ['*.md', 'README.md', true],
    ['*.md', 'docs/deep/guide.md', true],
    ['/README.md', 'docs/README.md', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/lib/a.ts', false],
    ['src/**/*.test.ts', 'src/a.test.ts', true],
    ['src/**/*.test.ts', 'src/x/y/a.test.ts', true],
    ['**/fixtures/*.{pem,key}', 'a/b/fixtures/k.pem', true],
    ['**/fixtures/*.{pem,key}', 'a/b/fixtures/k.crt', false],
    ['file?.txt', 'file1.txt', true],
    ['a.b', 'axb', false],
  ];
  for (const [glob, path, expected] of cases) {
    test(`${glob} ${expected ? 'matches' : 'does not match'} ${path}`, () => assert.equal(globToRegExp(glob).test(path), expected));
  }
});

describe('applyAllowlist', () => {
  const now = new Date('2026-06-01T12:00:00Z');

  test('an entry with several matchers needs all of them', () => {
    const a = parsed('allow:\n  - rule: jwt\n    path: docs/**\n    reason: examples\n');
    const out = applyAllowlist([finding('docs/a.md', 'jwt'), finding('docs/a.md', 'github-token'), finding('src/a.ts', 'jwt')], a, now);
    assert.deepEqual(
      out.allowed.map((x) => [x.finding.file, x.finding.rule, x.reason, x.source]),
      [['docs/a.md', 'jwt', 'examples', 'allow.yaml:2']],
    );
    assert.equal(out.findings.length, 2);
  });

  test('a fingerprint allows exactly that secret in that file', () => {
    const fp = 'b'.repeat(32);
    const a = parsed(`allow:\n  - fingerprint: ${fp}\n    reason: revoked\n`);
    const out = applyAllowlist([finding('a', 'jwt', fp), finding('a', 'jwt', 'c'.repeat(32))], a, now);
    assert.equal(out.allowed.length, 1);
    assert.equal(out.findings[0]?.fingerprint, 'c'.repeat(32));
  });

  test('expired entries stop applying and are reported; unused ones are listed', () => {
    const a = parsed(
      'allow:\n  - path: old/**\n    reason: r\n    expires: 2026-05-31\n  - path: today/**\n    reason: r\n    expires: 2026-06-01\n  - path: never/**\n    reason: r\n',
    );
    const out = applyAllowlist([finding('old/a'), finding('today/a')], a, now);
    assert.deepEqual(out.findings.map((f) => f.file), ['old/a']);
    assert.deepEqual(out.allowed.map((x) => x.finding.file), ['today/a'], 'an entry applies through its expiry day');
    assert.deepEqual(out.expired.map((e) => e.path), ['old/**']);
    assert.deepEqual(out.unused.map((e) => e.path), ['never/**']);
  });
});
