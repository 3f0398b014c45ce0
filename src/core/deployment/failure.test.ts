import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { blamesDigest, failureOf, planFailure } from './failure.js';
import type { FailureAction } from './plan.js';
import { canMove, type Deployment, type FailureCause } from './types.js';

type Facts = Parameters<typeof planFailure>[0];
const failed = (cause: FailureCause, over: Partial<Facts> = {}): Facts => ({ trigger: 'deploy', phase: 'verifying', release: 4, previousRelease: 3, digest: 'sha256:4', ...failureOf(cause), ...over });
const kinds = (actions: FailureAction[]): string[] =>
  actions.map((a) => (a.kind === 'restore' ? `restore v${a.to} (v${a.from} at 0)` : a.kind === 'route' ? `route ${a.weights.map((w) => `v${w.release}=${w.weight}`).join(',')}` : a.kind === 'retire' ? `retire ${a.releases.map((r) => `v${r}`).join(',')}` : a.kind === 'fail' ? `fail${a.final ? ' (final)' : ''}` : a.kind === 'rolled_back' ? `rolled_back${a.to === undefined ? '' : ` to v${a.to}`}` : a.kind === 'notify' ? `notify ${a.event}` : a.kind));

describe('planFailure', () => {
  test('a breached check after the switch: back to the warm previous release at once, the failed one retired, its digest marked bad', () => {
    assert.deepEqual(kinds(planFailure(failed('check'), { routed: true, rollback: 'auto' })), ['fail', 'roll_back', 'restore v3 (v4 at 0)', 'retire v4', 'route v3=1', 'mark_bad', 'rolled_back to v3', 'notify rolled_back']);
    const markBad = planFailure(failed('check'), { routed: true, rollback: 'auto' }).find((a) => a.kind === 'mark_bad');
    assert.deepEqual(markBad, { kind: 'mark_bad', digest: 'sha256:4' });
  });

  test('a crash and an alert blame the digest; too little traffic, a broken provider, a person, an error do not', () => {
    for (const c of ['crash', 'alert'] as const) assert.ok(kinds(planFailure(failed(c), { routed: true, rollback: 'auto' })).includes('mark_bad'), c);
    for (const c of ['inconclusive', 'canceled', 'error', 'start'] as const) {
      const k = kinds(planFailure(failed(c), { routed: true, rollback: 'auto' }));
      assert.ok(!k.includes('mark_bad'), c);
      assert.ok(k.includes('restore v3 (v4 at 0)'), `${c} still rolls back`);
    }
  });

  test('a config change that breached a check rolls back but says nothing against its digest', () => {
    const k = kinds(planFailure(failed('check', { trigger: 'config' }), { routed: true, rollback: 'auto' }));
    assert.ok(k.includes('restore v3 (v4 at 0)'));
    assert.ok(!k.includes('mark_bad'));
    assert.equal(blamesDigest({ trigger: 'config', blame: true }), false);
    assert.equal(blamesDigest({ trigger: 'promote', blame: true }), true);
  });

  test('before any route changed, the previous release kept serving: the deployment just fails, finished, and its release retires', () => {
    assert.deepEqual(kinds(planFailure(failed('start', { phase: 'starting' }), { routed: false, rollback: 'auto' })), ['fail (final)', 'retire v4', 'notify failed']);
  });

  test('a rollback that fails is final and retires nothing (its target may be what serves)', () => {
    assert.deepEqual(kinds(planFailure(failed('start', { trigger: 'rollback', phase: 'starting' }), { routed: true, rollback: 'auto' })), ['fail (final)', 'notify failed']);
  });

  test('with no previous release, the environment stops being served', () => {
    assert.deepEqual(kinds(planFailure(failed('check', { previousRelease: undefined }), { routed: true, rollback: 'auto' })), ['fail', 'roll_back', 'unroute', 'retire v4', 'mark_bad', 'rolled_back', 'notify rolled_back']);
  });

  test('resumed after a crash in the middle of the rollback: only what is left, decided from the stored cause', () => {
    assert.deepEqual(kinds(planFailure(failed('check', { phase: 'failed' }), { routed: true, rollback: 'auto' })).slice(0, 2), ['roll_back', 'restore v3 (v4 at 0)']);
    assert.deepEqual(kinds(planFailure(failed('check', { phase: 'rolling_back' }), { routed: true, rollback: 'auto' })).slice(0, 1), ['restore v3 (v4 at 0)']);
    // A deployment stored before causes were (no blame): rolled back, not marked.
    assert.ok(!kinds(planFailure(failed('check', { phase: 'rolling_back', blame: undefined, cause: undefined }), { routed: true, rollback: 'auto' })).includes('mark_bad'));
  });

  test('every phase the plan moves through is a legal move from the phase before', () => {
    const cases: [Facts, boolean][] = [
      [failed('check'), true],
      [failed('start', { phase: 'starting' }), false],
      [failed('error', { phase: 'pending' }), false],
      [failed('check', { phase: 'failed' }), true],
      [failed('check', { phase: 'rolling_back', previousRelease: undefined }), true],
    ];
    for (const [d, routed] of cases) {
      let phase: Deployment['phase'] = d.phase;
      for (const a of planFailure(d, { routed, rollback: 'auto' })) {
        const to = a.kind === 'fail' ? 'failed' : a.kind === 'roll_back' ? 'rolling_back' : a.kind === 'rolled_back' ? 'rolled_back' : undefined;
        if (to === undefined) continue;
        assert.ok(canMove(phase, to), `${phase} → ${to}`);
        phase = to;
      }
    }
  });

  test('rollback: manual holds a release that failed its verification: routes unchanged, nothing retired or marked, a person is told', () => {
    for (const c of ['check', 'crash', 'inconclusive'] as const) {
      assert.deepEqual(kinds(planFailure(failed(c), { routed: true, rollback: 'manual' })), ['hold', 'notify held'], c);
    }
    assert.ok(canMove('verifying', 'held'));
  });

  test('rollback: manual still rolls back at once what is not a verdict of the verification: a person’s cancel, an alert, an error; and fails a start as usual', () => {
    for (const c of ['canceled', 'alert', 'error'] as const) assert.ok(kinds(planFailure(failed(c), { routed: true, rollback: 'manual' })).includes('roll_back'), c);
    assert.deepEqual(kinds(planFailure(failed('start', { phase: 'starting' }), { routed: false, rollback: 'manual' })), ['fail (final)', 'retire v4', 'notify failed']);
  });

  test('a held deployment that a person rolls back rolls back as auto would have (marked bad when to blame), without failing again', () => {
    assert.deepEqual(kinds(planFailure(failed('check', { phase: 'held' }), { routed: true, rollback: 'manual' })), ['roll_back', 'restore v3 (v4 at 0)', 'retire v4', 'route v3=1', 'mark_bad', 'rolled_back to v3', 'notify rolled_back']);
    assert.ok(!kinds(planFailure(failed('inconclusive', { phase: 'held' }), { routed: true, rollback: 'manual' })).includes('mark_bad'));
    assert.ok(canMove('held', 'rolling_back') && canMove('held', 'verifying') && canMove('held', 'failed'));
    assert.ok(!canMove('held', 'succeeded'), 'a held release succeeds only by verifying again');
  });

  test('failureOf: blame follows the cause', () => {
    assert.deepEqual(failureOf('check'), { cause: 'check', blame: true });
    assert.deepEqual(failureOf('inconclusive'), { cause: 'inconclusive', blame: false });
    assert.deepEqual(failureOf('canceled'), { cause: 'canceled', blame: false });
  });
});
