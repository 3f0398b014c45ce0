// The verdict on the canonical main: the queue's own write, a write a crash left unrecorded, or a move by someone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeMain } from './main-guard.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const AT = '2026-12-04T12:00:00.000Z';

test('main where the queue left it, or no record yet (taken as it is)', () => {
  assert.deepEqual(judgeMain({ sha: A }, A, [], AT), { kind: 'same' });
  assert.deepEqual(judgeMain({}, undefined, [], AT), { kind: 'same' });
  assert.deepEqual(judgeMain(undefined, A, [], AT), { kind: 'adopt', sha: A });
});

test("the tip of a batch under test built on the recorded main is the queue's own move", () => {
  assert.deepEqual(judgeMain({ sha: A }, B, [{ base: A, tip: B }], AT), { kind: 'ours', sha: B });
  assert.equal(judgeMain({ sha: A }, B, [{ base: C, tip: B }], AT).kind, 'moved', 'a batch built on another main does not explain it');
});

test('any other main is a move by someone else: old and new commits, who unknown, and the two ways out', () => {
  for (const [recorded, current] of [[A, B], [A, undefined], [undefined, B]] as const) {
    const v = judgeMain({ sha: recorded }, current, [], AT);
    assert.equal(v.kind, 'moved');
    if (v.kind !== 'moved') continue;
    assert.equal(v.move.expected, recorded);
    assert.equal(v.move.found, current);
    assert.equal(v.move.by, 'unknown');
    assert.equal(v.move.detectedAt, AT);
    assert.match(v.move.message, /not by the merge queue/);
    assert.match(v.move.message, /update-ref refs\/heads\/main/);
    assert.match(v.move.message, /slipway queue accept-main/);
  }
});
