// Tests of the queue's SQLite store: numbering, patches, listing, batches, and that it all
// survives closing and reopening the database.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openQueueStore } from './queue.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const AT = '2026-01-01T00:00:00.000Z';

test('items are numbered, patched, listed by state and kept across a reopen', async () => {
  const file = join(dir, 'a.db');
  const s = openQueueStore(file);
  const base = { source: 'merge' as const, branch: 'feature', sha: 'a'.repeat(40), subject: 's', author: 'me', actor: 'me' };
  const q1 = await s.createItem(base, AT);
  const q2 = await s.createItem({ ...base, sha: 'b'.repeat(40), source: 'push' }, AT);
  assert.equal(q1.id, 'q1');
  assert.equal(q2.id, 'q2');
  assert.equal(q2.source, 'push');
  assert.deepEqual(q1.runIds, []);
  await s.updateItem('q1', { state: 'testing', chunk: 'b1.1', batchId: 'b1', runIds: ['r1'] }, AT);
  await s.updateItem('q2', { state: 'refused', report: { kind: 'error', message: 'boom' }, retries: [{ runId: 'r1', step: 't', attempts: 2, previous: ['x'], status: 'passed' }], finishedAt: AT }, AT);
  await assert.rejects(s.updateItem('q9', { state: 'queued' }, AT), /no queue item q9/);
  s.close();

  const again = openQueueStore(file);
  const got = await again.getItem('q1');
  assert.equal(got?.state, 'testing');
  assert.equal(got?.chunk, 'b1.1');
  assert.deepEqual(got?.runIds, ['r1']);
  await again.updateItem('q1', { clearChunk: true }, AT);
  assert.equal((await again.getItem('q1'))?.chunk, undefined);
  assert.deepEqual((await again.getItem('q2'))?.report, { kind: 'error', message: 'boom' });
  assert.equal((await again.getItem('q2'))?.retries[0]?.attempts, 2);
  assert.deepEqual((await again.listItems({ states: ['testing', 'queued'] })).map((i) => i.id), ['q1']);
  const q3 = await again.createItem(base, AT);
  assert.equal(q3.id, 'q3');
  assert.deepEqual((await again.listItems({ limit: 2 })).map((i) => i.id), ['q2', 'q3']);
  assert.equal(await again.getItem('nope'), undefined);
  again.close();
});

test('batches are numbered and found by state; merged ones wait for their release', async () => {
  const s = openQueueStore(join(dir, 'b.db'));
  const b = await s.createBatch({ items: ['q1', 'q2'], base: undefined, tip: 'c'.repeat(40), state: 'testing', createdAt: AT });
  assert.equal(b.id, 'b1');
  assert.equal(b.base, undefined);
  assert.equal(b.deployed, false);
  await s.updateBatch('b1', { runId: 'r3' });
  assert.deepEqual((await s.batchesIn('testing')).map((x) => [x.id, x.runId, x.items]), [['b1', 'r3', ['q1', 'q2']]]);
  await s.updateBatch('b1', { state: 'merged', finishedAt: AT });
  assert.deepEqual((await s.undeployedMerged()).map((x) => x.id), ['b1']);
  await s.updateBatch('b1', { deployed: true });
  assert.deepEqual(await s.undeployedMerged(), []);
  await assert.rejects(s.updateBatch('b7', { state: 'failed' }), /no queue batch b7/);
  s.close();
});
