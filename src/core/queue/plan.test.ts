// Tests of the queue's planning: batches, bisection down to the culprit, the batch cap setting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_BATCH_CAP, nextBatch, normaliseItemId, onBatchFailure, parseBatchCap, type PlannableItem } from './plan.js';

const item = (n: number, extra: Partial<PlannableItem> = {}): PlannableItem => ({ id: `q${n}`, number: n, state: 'queued', ...extra });

describe('nextBatch', () => {
  test('an empty queue has no batch', () => {
    assert.deepEqual(nextBatch([], 4), []);
    assert.deepEqual(nextBatch([item(1, { state: 'merged' })], 4), []);
  });

  test('takes up to the cap from the head, in arrival order, skipping items not queued', () => {
    const items = [item(5), item(2), item(3, { state: 'testing' }), item(1), item(4), item(6)];
    assert.deepEqual(nextBatch(items, 3), ['q1', 'q2', 'q4']);
    assert.deepEqual(nextBatch(items, 10), ['q1', 'q2', 'q4', 'q5', 'q6']);
  });

  test('a chunk at the head is tested alone, whatever the cap', () => {
    const items = [item(1, { chunk: 'b1.2' }), item(2, { chunk: 'b1.2' }), item(3), item(4, { chunk: 'b1.2' })];
    assert.deepEqual(nextBatch(items, 1), ['q1', 'q2', 'q4']);
  });

  test('a batch of unchunked items stops before a chunked one, keeping the order', () => {
    assert.deepEqual(nextBatch([item(1), item(2, { chunk: 'b3.1' }), item(3)], 4), ['q1']);
  });
});

describe('onBatchFailure', () => {
  test('a single item is the culprit', () => {
    assert.deepEqual(onBatchFailure('b1', ['q7']), { kind: 'refuse', id: 'q7' });
  });

  test('a larger batch splits in two halves, the first the larger, with chunk names of their own', () => {
    assert.deepEqual(onBatchFailure('b2', ['q1', 'q2', 'q3']), {
      kind: 'split',
      chunks: [
        { chunk: 'b2.1', ids: ['q1', 'q2'] },
        { chunk: 'b2.2', ids: ['q3'] },
      ],
    });
  });

  test('an empty batch is a bug', () => {
    assert.throws(() => onBatchFailure('b1', []), /no items/);
  });

  // Given items of which some always fail, when the queue plans and bisects until nothing is
  // left, then exactly the bad ones are refused, every good one merges, in order, and the number
  // of runs stays within what bisection promises.
  test('bisection sends back exactly the culprits (simulation)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 8 }), (bad, cap) => {
        const items: PlannableItem[] = bad.map((_, i) => item(i + 1));
        const isBad = (id: string): boolean => bad[Number(id.slice(1)) - 1] === true;
        const merged: string[] = [];
        const refused: string[] = [];
        let runs = 0;
        let batchNo = 0;
        for (;;) {
          const ids = nextBatch(items, cap);
          if (ids.length === 0) break;
          runs++;
          batchNo++;
          const set = (id: string, patch: Partial<PlannableItem>): void => {
            const i = items.find((x) => x.id === id);
            if (i) Object.assign(i, patch);
          };
          if (!ids.some(isBad)) {
            for (const id of ids) set(id, { state: 'merged', chunk: undefined });
            merged.push(...ids);
            continue;
          }
          const d = onBatchFailure(`b${batchNo}`, ids);
          if (d.kind === 'refuse') {
            set(d.id, { state: 'refused', chunk: undefined });
            refused.push(d.id);
          } else for (const c of d.chunks) for (const id of c.ids) set(id, { chunk: c.chunk });
        }
        const badIds = items.filter((i) => isBad(i.id)).map((i) => i.id);
        assert.deepEqual([...refused].sort(), [...badIds].sort());
        assert.deepEqual(merged, items.filter((i) => !isBad(i.id)).map((i) => i.id));
        // Each culprit costs at most 2·log2(cap)+1 runs beyond the batches themselves.
        const bound = Math.ceil(items.length / cap) + badIds.length * (2 * Math.ceil(Math.log2(cap)) + 2);
        assert.ok(runs <= bound, `${runs} runs > ${bound}`);
      }),
    );
  });
});

describe('parseBatchCap', () => {
  test('defaults to 4 when unset or blank', () => {
    assert.deepEqual(parseBatchCap(undefined), { ok: true, cap: DEFAULT_BATCH_CAP });
    assert.deepEqual(parseBatchCap('  '), { ok: true, cap: 4 });
  });

  test('takes a whole number from 1 to 32', () => {
    assert.deepEqual(parseBatchCap('1'), { ok: true, cap: 1 });
    assert.deepEqual(parseBatchCap(' 8 '), { ok: true, cap: 8 });
    assert.deepEqual(parseBatchCap('32'), { ok: true, cap: 32 });
  });

  test('refuses anything else, saying what it takes', () => {
    for (const raw of ['0', '33', '-1', '2.5', 'four', '4x', '1e2']) {
      const r = parseBatchCap(raw);
      assert.equal(r.ok, false, raw);
      if (!r.ok) assert.match(r.message, /from 1 to 32/, raw);
    }
  });
});

test('normaliseItemId accepts q7, 7 and #7 and nothing else', () => {
  assert.equal(normaliseItemId('q7'), 'q7');
  assert.equal(normaliseItemId('7'), 'q7');
  assert.equal(normaliseItemId('#7'), 'q7');
  assert.equal(normaliseItemId(' Q07 '), 'q7');
  for (const bad of ['', 'q', 'q0', 'r7', 'q7x', '../q7', 'q-1']) assert.equal(normaliseItemId(bad), undefined, bad);
});
