// Whatever text it is given, the loader answers with a config or located errors; it never throws.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { EXAMPLE_CONFIG } from './example.js';
import { loadConfig, type LoadResult } from './load.js';

function wellFormed(r: LoadResult, text: string): void {
  const lines = text.split('\n').length + 1;
  assert.ok(r.config !== undefined || r.errors.length > 0, 'either a config or a reason');
  assert.ok(r.config === undefined || r.errors.length === 0, 'never a config with errors');
  for (const e of [...r.errors, ...r.warnings]) {
    assert.ok(e.line >= 1 && e.line <= lines && e.column >= 1, `${e.line}:${e.column} is inside the file`);
    assert.ok(e.message.length > 0);
  }
}

void test('arbitrary text', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'ab: -[]{}#&*!|>\'"%@`\n\t 1.,?'.split('')), maxLength: 80 }), (text) => {
      wellFormed(loadConfig('slipway.yaml', text), text);
    }),
    { numRuns: 300 },
  );
});

void test('arbitrary data written as YAML, including odd keys', () => {
  const key = fc.constantFrom('app', 'build', 'gates', 'run', 'environments', 'artifact', '__proto__', 'constructor', 'x', 'checks');
  const data = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), tie('map'), fc.array(tie('value'), { maxLength: 3 })),
    map: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  })).map;
  fc.assert(
    fc.property(data, (d) => {
      const text = stringify(d);
      wellFormed(loadConfig('slipway.yaml', text), text);
    }),
    { numRuns: 300 },
  );
});

void test('the documented example with one line removed', () => {
  const lines = EXAMPLE_CONFIG.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n');
    wellFormed(loadConfig('slipway.yaml', text, { now: new Date('2025-01-01T00:00:00Z') }), text);
  }
});
