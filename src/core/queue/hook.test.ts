// Tests of the receive hook's decisions and of the parsing of its input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePush, decideRefUpdate, mainRefusal, parseRefUpdates, queueRef } from './hook.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);

describe('parseRefUpdates', () => {
  test('reads one update per line, ignoring blank lines', () => {
    assert.deepEqual(parseRefUpdates(`${A} ${B} refs/heads/main\n\n${Z} ${A} refs/for/main\n`), {
      ok: true,
      updates: [
        { old: A, new: B, ref: 'refs/heads/main' },
        { old: Z, new: A, ref: 'refs/for/main' },
      ],
    });
    assert.deepEqual(parseRefUpdates(''), { ok: true, updates: [] });
  });

  test('accepts SHA-256 object ids', () => {
    const r = parseRefUpdates(`${'c'.repeat(64)} ${'d'.repeat(64)} refs/heads/x`);
    assert.equal(r.ok, true);
  });

  test('names the line that is not "<old> <new> <ref>"', () => {
    for (const bad of [`${A} ${B}`, `${A} ${B} main`, `${A.slice(1)} ${B} refs/heads/main`, `${A} ${B} refs/heads/a b`, 'garbage', `${A.toUpperCase()} ${B} refs/heads/x`]) {
      const r = parseRefUpdates(`${A} ${B} refs/heads/ok\n${bad}\n`);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.message, /^line 2 of the hook's input/, bad);
    }
  });
});

describe('decideRefUpdate', () => {
  test("refs/heads/HEAD and any protected ref in another case (the review's pushes) are refused", () => {
    for (const ref of ['refs/heads/HEAD', 'refs/heads/head', 'refs/heads/Main', 'refs/heads/MAIN', 'refs/heads/mAiN', 'refs/for/MAIN', 'refs/For/main', 'refs/Slipway/queue/q1', 'refs/SLIPWAY/x']) {
      for (const [old, next] of [[Z, A], [A, B], [A, Z]]) {
        const d = decideRefUpdate({ old: old!, new: next!, ref });
        assert.equal(d.verdict, 'refuse', ref);
        if (d.verdict === 'refuse') assert.match(d.message, /refused/, ref);
      }
    }
    assert.equal(decidePush([{ old: Z, new: A, ref: 'refs/heads/feature' }, { old: Z, new: A, ref: 'refs/heads/Main' }]).ok, false, 'a push with one look-alike is refused whole');
    for (const ref of ['refs/heads/mainline', 'refs/heads/feature/main', 'refs/heads/HEADS-UP', 'refs/tags/MAIN']) assert.equal(decideRefUpdate({ old: Z, new: A, ref }).verdict, 'allow', ref);
  });

  test('a direct update of main is refused with the way to merge', () => {
    const d = decideRefUpdate({ old: A, new: B, ref: 'refs/heads/main' });
    assert.equal(d.verdict, 'refuse');
    if (d.verdict === 'refuse') {
      assert.match(d.message, /git push <this remote> HEAD:refs\/for\/main/);
      assert.match(d.message, /slipway merge BRANCH/);
      assert.match(d.message, /Nothing was changed/);
    }
    assert.equal(decideRefUpdate({ old: A, new: Z, ref: 'refs/heads/main' }).verdict, 'refuse');
    assert.equal(decideRefUpdate({ old: Z, new: A, ref: 'refs/heads/main' }).verdict, 'refuse');
  });

  test('a push to refs/for/main queues the pushed commit; deleting it means nothing', () => {
    assert.deepEqual(decideRefUpdate({ old: Z, new: A, ref: 'refs/for/main' }), { ref: 'refs/for/main', verdict: 'enqueue', sha: A });
    assert.equal(decideRefUpdate({ old: A, new: Z, ref: 'refs/for/main' }).verdict, 'refuse');
  });

  test('other refs/for targets and Slipway’s own refs are refused', () => {
    assert.equal(decideRefUpdate({ old: Z, new: A, ref: 'refs/for/dev' }).verdict, 'refuse');
    assert.equal(decideRefUpdate({ old: Z, new: A, ref: queueRef('q3') }).verdict, 'refuse');
    assert.equal(decideRefUpdate({ old: Z, new: A, ref: 'refs/slipway/incoming/x' }).verdict, 'refuse');
  });

  test('feature branches and tags may be pushed and deleted', () => {
    assert.equal(decideRefUpdate({ old: Z, new: A, ref: 'refs/heads/feature' }).verdict, 'allow');
    assert.equal(decideRefUpdate({ old: A, new: Z, ref: 'refs/heads/feature' }).verdict, 'allow');
    assert.equal(decideRefUpdate({ old: Z, new: A, ref: 'refs/tags/v1' }).verdict, 'allow');
    assert.equal(decideRefUpdate({ old: Z, new: A, ref: 'refs/heads/mainline' }).verdict, 'allow');
  });
});

test('a push with one refused update is refused whole', () => {
  const r = decidePush([
    { old: Z, new: A, ref: 'refs/heads/feature' },
    { old: A, new: B, ref: 'refs/heads/main' },
  ]);
  assert.equal(r.ok, false);
  assert.deepEqual(r.decisions.map((d) => d.verdict), ['allow', 'refuse']);
  assert.equal(decidePush([{ old: Z, new: A, ref: 'refs/for/main' }]).ok, true);
  assert.ok(mainRefusal().includes('main is protected by Slipway'));
});
