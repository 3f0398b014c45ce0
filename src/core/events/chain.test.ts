import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../canonical-json.js';
import { GENESIS_HASH, hashEvent, verifyChain, type StoredEvent } from './chain.js';

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

test('an event hashes as the store keeps it: key order does not matter, and a Date or NaN hashes as its JSON', () => {
  const base = { seq: 1, at: '2026-01-01T00:00:00.000Z', kind: 'k', actor: 'a', subject: 's', prevHash: GENESIS_HASH };
  assert.equal(hashEvent({ ...base, data: { b: 1, a: { d: 2, c: [3] } } }), hashEvent({ ...base, data: { a: { c: [3], d: 2 }, b: 1 } }));
  const live = { ...base, data: { when: new Date('2026-01-02T00:00:00.000Z'), rate: NaN } };
  const reread = { ...base, data: JSON.parse(JSON.stringify(live.data)) as Record<string, unknown> };
  assert.equal(hashEvent(live), hashEvent(reread));
  assert.equal(canonicalJson(reread.data), '{"rate":null,"when":"2026-01-02T00:00:00.000Z"}');
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
