import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRollbackTarget, currentRelease, nextReleaseNumber, promotionSource, succeededIn } from './history.js';
import { decideLease } from './lease.js';
import { planDeployment, planRollback } from './plan.js';
import { assertMove, canMove, IllegalPhaseMove, isTerminal, type Deployment, type Release } from './types.js';

let seq = 0;
const dep = (release: number, phase: Deployment['phase'], trigger: Deployment['trigger'] = 'deploy'): Deployment => {
  seq++;
  return { id: `d${seq}`, env: 'prod', release, digest: `sha256:${release}`, commit: 'c', author: 'a', trigger, actor: 'me', strategy: 'blue-green', phase, startedAt: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`, forced: false };
};
const rel = (n: number): Release => ({ env: 'prod', number: n, digest: `sha256:${n}`, commit: 'c', configVersion: 1, secretVersions: {}, createdAt: '2026-01-01T00:00:00Z', createdBy: 'me' });

describe('phases', () => {
  test('terminal phases and allowed moves form a closed set', () => {
    assert.equal(isTerminal('succeeded'), true);
    assert.equal(isTerminal('verifying'), false);
    assert.equal(canMove('pending', 'starting'), true);
    assert.equal(canMove('succeeded', 'starting'), false);
    assert.equal(canMove('failed', 'rolling_back'), true);
    assert.equal(canMove('pending', 'verifying'), true, 'a rollback to a warm release starts nothing');
    assert.equal(canMove('succeeded', 'rolled_back'), true, 'undone by a later rollback');
    assert.equal(canMove('rolled_back', 'succeeded'), false);
  });
  test('assertMove throws a clear internal error for a move canMove refuses', () => {
    assert.doesNotThrow(() => assertMove('d1', 'pending', 'starting'));
    assert.throws(() => assertMove('d7', 'rolled_back', 'verifying'), (e: Error) => e instanceof IllegalPhaseMove && e.message === 'internal error: deployment d7 cannot move from rolled_back to verifying (allowed from rolled_back: nothing, it is final)');
  });
});

describe('history', () => {
  test('numbers releases from 1', () => {
    assert.equal(nextReleaseNumber([]), 1);
    assert.equal(nextReleaseNumber([rel(1), rel(3)]), 4);
  });
  test('the current release is the last one that succeeded and stands', () => {
    assert.equal(currentRelease([]), undefined);
    assert.equal(currentRelease([dep(1, 'succeeded'), dep(2, 'failed')]), 1);
    assert.equal(currentRelease([dep(1, 'succeeded'), dep(2, 'rolled_back'), dep(1, 'succeeded', 'rollback')]), 1);
    assert.equal(currentRelease([dep(1, 'succeeded'), dep(2, 'succeeded')]), 2);
  });
  test('a rollback goes to the previous successful release, skipping bad digests', () => {
    const h = [dep(1, 'succeeded'), dep(2, 'succeeded'), dep(3, 'succeeded')];
    const releases = [rel(1), rel(2), rel(3)];
    assert.deepEqual(chooseRollbackTarget(h, releases, {}), { ok: true, release: 2 });
    assert.deepEqual(chooseRollbackTarget(h, releases, { badDigests: new Set(['sha256:2']) }), { ok: true, release: 1 });
    assert.deepEqual(chooseRollbackTarget(h, releases, { to: 1 }), { ok: true, release: 1 });
  });
  test('a rollback refuses a release that never succeeded, the current one, an unknown one, or no history', () => {
    const h = [dep(1, 'succeeded'), dep(2, 'failed'), dep(3, 'succeeded')];
    const releases = [rel(1), rel(2), rel(3)];
    assert.match((chooseRollbackTarget(h, releases, { to: 2 }) as { message: string }).message, /never went live/);
    assert.match((chooseRollbackTarget(h, releases, { to: 3 }) as { message: string }).message, /already the current/);
    assert.match((chooseRollbackTarget(h, releases, { to: 9 }) as { message: string }).message, /no release v9/);
    assert.equal(chooseRollbackTarget([dep(1, 'succeeded')], [rel(1)], {}).ok, false);
  });
  test('promotion moves the digest live in the source, and only a verified one', () => {
    assert.deepEqual(promotionSource('staging', [dep(1, 'succeeded'), dep(2, 'failed')], [rel(1), rel(2)]), { ok: true, digest: 'sha256:1', commit: 'c', fromRelease: 1 });
    assert.equal(promotionSource('staging', [dep(1, 'failed')], [rel(1)]).ok, false);
    assert.equal(succeededIn('sha256:1', [dep(1, 'succeeded')]), true);
    assert.equal(succeededIn('sha256:2', [dep(2, 'failed'), dep(2, 'rolled_back')]), false);
  });
});

describe('planDeployment', () => {
  test('blue-green: start, switch all, watch, keep the previous warm, retire older ones', () => {
    const plan = planDeployment({ release: 4, instances: 2, strategy: { kind: 'blue-green' }, previous: 3, running: [2, 3], verifyWindowMs: 1000 });
    assert.deepEqual(plan, [
      { kind: 'start', release: 4, instances: 2 },
      { kind: 'route', weights: [{ release: 4, weight: 1 }, { release: 3, weight: 0 }], label: '100%' },
      { kind: 'verify', release: 4, durationMs: 1000, label: 'window' },
      { kind: 'retire', releases: [2] },
      { kind: 'succeed' },
    ]);
  });
  test('canary: weighted steps with a pause each, then all traffic and the window', () => {
    const plan = planDeployment({ release: 2, instances: 1, strategy: { kind: 'canary', steps: [0.1, 0.5, 1], pauseMs: 500 }, previous: 1, running: [1], verifyWindowMs: 0 });
    assert.deepEqual(plan.map((a) => (a.kind === 'route' ? `route ${a.label} ${a.weights.map((w) => `v${w.release}=${w.weight}`).join(',')}` : a.kind)), [
      'start',
      'route canary 10% v2=0.1,v1=0.9',
      'verify',
      'route canary 50% v2=0.5,v1=0.5',
      'verify',
      'route 100% v2=1,v1=0',
      'succeed',
    ]);
    // A canary step is verified against the stable release beside it (a typed field, not its label).
    assert.deepEqual(plan.filter((a) => a.kind === 'verify').map((a) => a.baseline), [1, 1]);
  });
  test('the first deployment has nothing to shift from: canary goes straight to 100 %', () => {
    const plan = planDeployment({ release: 1, instances: 1, strategy: { kind: 'canary', steps: [0.1, 1], pauseMs: 500 }, running: [], verifyWindowMs: 0 });
    assert.deepEqual(plan.map((a) => a.kind), ['start', 'route', 'succeed']);
  });
  test('a rollback to a warm release is a pointer swap; to a cold one it starts it first', () => {
    assert.deepEqual(planRollback({ target: 1, current: 2, instances: 1, running: [1, 2] }).map((a) => a.kind), ['route', 'succeed']);
    assert.deepEqual(planRollback({ target: 1, current: 3, instances: 1, running: [2, 3] }).map((a) => a.kind), ['start', 'route', 'retire', 'succeed']);
  });
});

describe('lease', () => {
  const want = { env: 'prod', holder: 'd2', purpose: 'deploy v2' };
  test('a free, expired or own lease is taken; a live one names its holder', () => {
    assert.equal(decideLease(undefined, want, 1000).ok, true);
    const held = { env: 'prod', holder: 'd1', purpose: 'deploy v1', acquiredAt: 0, expiresAt: 5000 };
    const busy = decideLease(held, want, 1000);
    assert.equal(busy.ok, false);
    assert.equal(busy.ok ? '' : busy.heldBy.holder, 'd1');
    assert.equal(decideLease(held, want, 6000).ok, true, 'expired');
    const mine = decideLease({ ...held, holder: 'd2' }, want, 1000);
    assert.equal(mine.ok && mine.lease.acquiredAt, 0, 'renewal keeps the start');
  });
});
