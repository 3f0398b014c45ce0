// Given changes that arrive while the queue is busy, when they are tested as one batch, then a
// failing batch is bisected so that only the culprit goes back, and a change that clashes only
// with another one of its batch waits for the next batch instead of being failed for it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TempRepo } from './harness.js';
import { branch, canonical, canonicalMain, closeLatch, HOLD, openLatch, queuedApp, showItem, waitFinal } from './queue-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';

const repos: TempRepo[] = [];
const track = (r: TempRepo): TempRepo => (repos.push(r), r);
after(async () => {
  for (const r of repos) await r.dispose();
});

const isAncestor = (repo: TempRepo, a: string, b: string): boolean => spawnSync('git', ['merge-base', '--is-ancestor', a, b], { cwd: canonical(repo), env: gitEnv() }).status === 0;

/** Queues `blocker` (a change with HOLD) and waits until it is under test: what is queued next waits together. */
const holdQueue = async (repo: TempRepo, blocker: string, id: string): Promise<void> => {
  closeLatch(repo);
  assert.equal((await repo.cli(['merge', blocker])).code, 0);
  await waitFor(async () => (await showItem(repo, id)).item.state === 'testing', { what: `${id} to be under test`, interval: 100 });
};

describe('batches', () => {
  const repo = track(queuedApp());

  test('a batch of three with one bad change: the good two merge, the bad one is sent back', async () => {
    branch(repo, 'slow', { 'src/slow.txt': 's\n', ...HOLD }, 'hold the queue');
    const a = branch(repo, 'good-a', { 'src/a.txt': 'a\n' });
    const bad = branch(repo, 'bad', { 'src/b.txt': 'BAD\n' });
    const c = branch(repo, 'good-c', { 'src/c.txt': 'c\n' });
    await holdQueue(repo, 'slow', 'q1');
    for (const b of ['good-a', 'bad', 'good-c']) assert.equal((await repo.cli(['merge', b])).code, 0);
    openLatch(repo);
    const [va, vbad, vc] = await Promise.all(['q2', 'q3', 'q4'].map((id) => waitFinal(repo, id)));
    assert.deepEqual([va?.item.state, vbad?.item.state, vc?.item.state], ['merged', 'refused', 'merged']);
    // First tested together, as one merged tree in one run.
    const first = va?.item.runIds[0];
    assert.ok(first);
    assert.equal(vbad?.item.runIds[0], first);
    assert.equal(vc?.item.runIds[0], first);
    assert.ok((vbad?.item.runIds.length ?? 0) >= 2, 'the culprit was tested on its own before it was sent back');
    assert.equal(vbad?.batch?.items.length, 1);
    assert.equal(vbad?.item.report?.step, 'check');
    assert.equal(vbad?.item.report?.gateKind, 'command');
    assert.match(vbad?.item.report?.reason ?? '', /exited with code 1/);
    const main = canonicalMain(repo) ?? '';
    assert.ok(isAncestor(repo, a, main));
    assert.ok(isAncestor(repo, c, main));
    assert.ok(!isAncestor(repo, bad, main), 'the bad change is not in main');
    assert.equal(main, vc?.item.mergedAs);
    const events = JSON.parse((await repo.cli(['events', '--json', '-n', '500'])).stdout) as { kind: string; data: { items?: string[] } }[];
    const bisected = events.find((e) => e.kind === 'queue.bisected');
    assert.deepEqual(bisected?.data.items, ['q2', 'q3', 'q4']);
  });

  test('a change that clashes only with another of its batch waits for the next batch, then is a conflict', async () => {
    branch(repo, 'blocker', { 'src/e.txt': 'e\n', ...HOLD }, 'hold the queue');
    branch(repo, 'one', { 'src/d.txt': 'one\n' });
    branch(repo, 'two', { 'src/d.txt': 'two\n' });
    await holdQueue(repo, 'blocker', 'q5');
    for (const b of ['one', 'two']) assert.equal((await repo.cli(['merge', b])).code, 0);
    openLatch(repo);
    const one = await waitFinal(repo, 'q6');
    const two = await waitFinal(repo, 'q7');
    assert.equal(one.item.state, 'merged');
    assert.equal(two.item.state, 'conflict');
    assert.deepEqual(two.item.report?.files, ['src/d.txt']);
    assert.deepEqual(two.item.runIds, [], 'it was never tested with the change it clashes with');
    assert.equal(canonicalMain(repo), one.item.mergedAs);
  });
});

describe('the batch cap setting', () => {
  const repo = track(queuedApp());

  test('a malformed SLIPWAY_QUEUE_BATCH turns the queue off with a clear error, and nothing is queued', async () => {
    branch(repo, 'feature', { 'src/f.txt': 'f\n' });
    const r = await repo.cli(['merge', 'feature'], { env: { SLIPWAY_QUEUE_BATCH: 'lots' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the merge queue is off: SLIPWAY_QUEUE_BATCH: the batch cap must be a whole number from 1 to 32, not "lots"/);
    assert.match(r.stderr, /slipway server stop/);
    assert.equal(existsSync(canonical(repo)), false, 'the canonical repository was not even created');
    assert.equal((await repo.cli(['queue'], { env: { SLIPWAY_QUEUE_BATCH: 'lots' } })).code, 2);
  });
});
