import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDotenvError, parseDotenv, type DotenvResult } from './dotenv.js';

function entries(text: string): Array<[string, string, number]> {
  const r = parseDotenv(text, 'app.env');
  assert.ok(r.ok, JSON.stringify(r));
  return r.entries.map((e) => [e.key, e.value, e.line]);
}

function errors(text: string): Array<[number, number, string]> {
  const r: DotenvResult = parseDotenv(text, 'app.env');
  assert.ok(!r.ok, `expected errors for ${JSON.stringify(text)}`);
  for (const e of r.errors) assert.equal(e.file, 'app.env');
  return r.errors.map((e) => [e.line, e.column, e.message]);
}

describe('parseDotenv', () => {
  test('KEY=value, export, comments, blank lines, spaces around =', () => {
    const text = ['# a comment', '', 'A=1', '  export B=two words  ', 'C = spaced', '\t# indented comment', 'export=yes', 'EMPTY=', 'D=x'].join('\n');
    assert.deepEqual(entries(text), [['A', '1', 3], ['B', 'two words', 4], ['C', 'spaced', 5], ['export', 'yes', 7], ['EMPTY', '', 8], ['D', 'x', 9]]);
  });

  test('unquoted values end at " #"; a # without a blank before it is part of the value', () => {
    assert.deepEqual(entries('URL=http://x/#frag # the url\nC=a#b\nE= # only a comment\nH=#hash\nT=v\t# tab'), [
      ['URL', 'http://x/#frag', 1], ['C', 'a#b', 2], ['E', '', 3], ['H', '#hash', 4], ['T', 'v', 5],
    ]);
  });

  test('single quotes are literal and may span lines', () => {
    assert.deepEqual(entries("A='x \\n $HOME \"q\" # not a comment'\nB='two\nlines' # c\nC=''"), [
      ['A', 'x \\n $HOME "q" # not a comment', 1], ['B', 'two\nlines', 2], ['C', '', 4],
    ]);
  });

  test('double quotes: escapes, multi-line, trailing comment; unknown escapes kept', () => {
    assert.deepEqual(entries('A="line1\\nline2\\t\\"q\\" \\\\ \\$ \\d"\nB="multi\nline value"   # c\nC=""\nD="it\'s"'), [
      ['A', 'line1\nline2\t"q" \\ $ \\d', 1], ['B', 'multi\nline value', 2], ['C', '', 4], ['D', "it's", 5],
    ]);
  });

  test('CRLF line endings and a byte-order mark', () => {
    assert.deepEqual(entries('\uFEFFA=1\r\nB="x\r\ny"\r\n'), [['A', '1', 1], ['B', 'x\ny', 2]]);
  });

  test('variables are not expanded', () => {
    assert.deepEqual(entries('A=1\nB=${A}\nC="$A"'), [['A', '1', 1], ['B', '${A}', 2], ['C', '$A', 3]]);
  });

  test('invalid key names, with line and column', () => {
    assert.deepEqual(errors('OK=1\n1ABC=x\n  MY-KEY=y\nexport 9=z'), [
      [2, 1, 'invalid key name "1ABC": expected letters, digits and _, not starting with a digit'],
      [3, 3, 'invalid key name "MY-KEY": expected letters, digits and _, not starting with a digit'],
      [4, 8, 'invalid key name "9": expected letters, digits and _, not starting with a digit'],
    ]);
  });

  test('missing =, missing key', () => {
    assert.deepEqual(errors('JUST_A_KEY\nKEY value\n=value\nexport\n'), [
      [1, 11, 'expected "=" after JUST_A_KEY, found the end of the line'],
      [2, 5, 'expected "=" after KEY, found "v"'],
      [3, 1, 'missing key name before "="'],
      [4, 7, 'expected "=" after export, found the end of the line'],
    ]);
  });

  test('unterminated quotes point at the opening quote', () => {
    assert.deepEqual(errors('A=1\nB="never closed\nC=2\n'), [[2, 3, 'unterminated " quote for B: no closing " before the end of the file']]);
    assert.deepEqual(errors("X='open"), [[1, 3, "unterminated ' quote for X: no closing ' before the end of the file"]]);
    assert.deepEqual(errors('Y="ends with backslash\\"'), [[1, 3, 'unterminated " quote for Y: no closing " before the end of the file']]);
  });

  test('text after a closing quote', () => {
    assert.deepEqual(entries('OK="x"# right after the quote is a comment too'), [['OK', 'x', 1]]);
    assert.deepEqual(errors('A="x" y\nB=\'v\'x\nC="ok" # fine'), [
      [1, 7, 'unexpected text after the closing " of A; put a comment after " #"'],
      [2, 6, 'unexpected text after the closing \' of B; put a comment after " #"'],
    ]);
  });

  test('duplicate keys are an error naming the first line', () => {
    assert.deepEqual(errors('A=1\nB=2\nexport A=3'), [[3, 8, 'duplicate key A (first set on line 1)']]);
  });

  test('NUL characters in a value', () => {
    assert.deepEqual(errors('A="x\\\0"\nB=y\0z'), [[1, 1, 'the value of A contains a NUL character'], [2, 1, 'the value of B contains a NUL character']]);
  });

  test('every error is reported; errors after a multi-line value have the right line', () => {
    const r = parseDotenv('A="one\ntwo\nthree"\nbad line\nB=1\nB=2', 'x.env');
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map(formatDotenvError), ['x.env:4:5: expected "=" after bad, found "l"', 'x.env:6:1: duplicate key B (first set on line 5)']);
  });

  test('empty file and file of comments give no entries', () => {
    assert.deepEqual(entries(''), []);
    assert.deepEqual(entries('# only\n\n   \n'), []);
  });

  test('round-trip: double-quoted values written with escapes parse back exactly (property)', () => {
    const key = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/);
    const value = fc.string({ maxLength: 30 }).filter((v) => !v.includes('\0') && !v.includes('\r'));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { selector: (t) => t[0], maxLength: 6 }), (pairs) => {
        const text = pairs.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$')}"`).join('\n');
        const r = parseDotenv(text);
        assert.ok(r.ok, JSON.stringify(r));
        assert.deepEqual(r.entries.map((e) => [e.key, e.value]), pairs);
      }),
    );
  });

  test('never throws on arbitrary text (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      const r = parseDotenv(text);
      if (!r.ok) for (const e of r.errors) assert.ok(e.line >= 1 && e.column >= 1 && e.message.length > 0);
    }));
  });
});
