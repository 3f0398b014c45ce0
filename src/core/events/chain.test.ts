import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, canonicalJson, hashEvent, verifyChain, type StoredEvent } from './chain.js';

const chain = (n: number): StoredEvent[] => {
  const out: StoredEvent[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const base = { seq: i, at: `2026-01-01T00:00:0${i}.000Z`, kind: 'k', actor: 'a', subject: 's', data: { i }, prevHash: prev };
    const e = { ...base, hash: hashEvent(base) };
    out.push(e);
    prev = e.hash;
  }
  return out;
};

test('canonical JSON does not depend on key order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } }), canonicalJson({ a: { c: [3, { e: 0, f: 1 }], d: 2 }, b: 1 }));
});

test('an intact chain verifies', () => {
  const v = verifyChain(chain(4));
  assert.equal(v.ok, true);
  assert.equal(v.count, 4);
});

test('a deleted, reordered or edited event breaks the chain where it happened', () => {
  const deleted = chain(4).filter((e) => e.seq !== 2);
  assert.deepEqual(verifyChain(deleted), { ok: false, count: 1, seq: 3, message: 'event 2 is missing (found 3 next)' });

  const edited = chain(4);
  edited[2] = { ...edited[2]!, data: { i: 99 } };
  const v = verifyChain(edited);
  assert.equal(v.ok, false);
  assert.equal(v.ok ? 0 : v.seq, 3);

  const relinked = chain(3);
  relinked[1] = { ...relinked[1]!, prevHash: GENESIS_HASH };
  assert.equal(verifyChain(relinked).ok, false);
});
