// DORA figures on hand-made histories: each definition of docs/dora.md, one case at a time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from '../deployment/types.js';
import { deliveredChanges, doraFigures, parseSince } from './dora.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;
const at = (min: number): string => new Date(T0 + min * MIN).toISOString();

let seq = 0;
/** A deployment of `production` that started at minute `start` and ended `took` minutes later. */
const dep = (over: Partial<Deployment> & { start: number; took?: number }): Deployment => {
  seq++;
  const { start, took = 2, ...rest } = over;
  return {
    id: `d${seq}`,
    env: 'production',
    release: seq,
    digest: `sha256:${String(seq).padStart(64, '0')}`,
    commit: `c${seq}`,
    author: 'ana',
    trigger: 'deploy',
    actor: 'ana',
    strategy: 'blue-green',
    phase: 'succeeded',
    startedAt: at(start),
    finishedAt: at(start + took),
    forced: false,
    ...rest,
  };
};
const window30d = { since: T0, until: T0 + 30 * 86_400_000 };

describe('doraFigures', () => {
  test('an environment with no deployment has no figures but a frequency of 0', () => {
    const f = doraFigures('production', [], new Map(), window30d);
    assert.deepEqual(f.deploymentFrequency, { delivered: 0, perDay: 0 });
    assert.equal(f.leadTime, null);
    assert.equal(f.changeFailureRate, null);
    assert.equal(f.timeToRestore, null);
    assert.equal(f.since, '2026-11-01T00:00:00.000Z');
  });

  test('frequency counts the changes that went live, per day of the window; rollbacks, ups, failures and cancels are not deliveries', () => {
    const ds = [
      dep({ start: 0 }),
      dep({ start: 60 }),
      dep({ start: 120, phase: 'failed' }),
      dep({ start: 180, phase: 'canceled' }),
      dep({ start: 240, trigger: 'up' }),
      dep({ start: 300, trigger: 'config' }),
    ];
    const f = doraFigures('production', ds, new Map(), window30d);
    assert.equal(f.deploymentFrequency.delivered, 3);
    assert.equal(f.deploymentFrequency.perDay, 0.1);
    // Canceled changes and `up` are not counted as changes at all; the failed one is.
    assert.deepEqual(f.changeFailureRate, { failed: 1, changes: 4, rate: 0.25 });
  });

  test('only deployments that started in the window count, and only those of the environment asked for', () => {
    const ds = [dep({ start: -60 }), dep({ start: 10, env: 'staging' }), dep({ start: 20 })];
    const f = doraFigures('production', ds, new Map(), window30d);
    assert.equal(f.deploymentFrequency.delivered, 1);
  });

  test('lead time runs from the first commit of the change to the end of its deployment; median and p90', () => {
    const ds = [dep({ start: 100, took: 5 }), dep({ start: 200, took: 5 }), dep({ start: 300, took: 5 })];
    const first = new Map([
      ['d' + String(seq - 2), T0 + 40 * MIN], // 65 min
      ['d' + String(seq - 1), T0 + 185 * MIN], // 20 min
      ['d' + String(seq), T0 + 295 * MIN], // 10 min
    ]);
    const f = doraFigures('production', ds, first, window30d);
    assert.equal(f.leadTime?.count, 3);
    assert.equal(f.leadTime?.medianMs, 20 * MIN);
    assert.equal(f.leadTime?.p90Ms, 56 * MIN); // 20 + 0.8 × (65 − 20) by linear interpolation
  });

  test('a change rolled back by its own verification is a failure, restored from its start to its end', () => {
    const ds = [dep({ start: 0 }), dep({ start: 100, took: 7, phase: 'rolled_back', rolledBackTo: seq - 0 })];
    const f = doraFigures('production', ds, new Map(), window30d);
    assert.deepEqual(f.changeFailureRate, { failed: 1, changes: 2, rate: 0.5 });
    assert.deepEqual(f.timeToRestore, { count: 1, medianMs: 7 * MIN, p90Ms: 7 * MIN });
    assert.equal(f.deploymentFrequency.delivered, 1, 'it never went live');
  });

  test('a change that went live and was rolled back by a person is delivered and failed, restored from live to the rollback', () => {
    const good = dep({ start: 0 });
    const bad = dep({ start: 100, took: 3, phase: 'rolled_back', rolledBackTo: good.release, previousRelease: good.release });
    const rollback = dep({ start: 150, took: 1, trigger: 'rollback', release: good.release, previousRelease: bad.release });
    const f = doraFigures('production', [good, bad, rollback], new Map(), window30d);
    assert.equal(f.deploymentFrequency.delivered, 2);
    assert.deepEqual(f.changeFailureRate, { failed: 1, changes: 2, rate: 0.5 });
    // live at 103, restored at 151
    assert.deepEqual(f.timeToRestore, { count: 1, medianMs: 48 * MIN, p90Ms: 48 * MIN });
  });

  test('a deployment still under way counts for nothing yet', () => {
    const f = doraFigures('production', [dep({ start: 0, phase: 'verifying', finishedAt: undefined })], new Map(), window30d);
    assert.equal(f.changeFailureRate, null);
    assert.equal(f.deploymentFrequency.delivered, 0);
  });
});

describe('deliveredChanges', () => {
  test('each change that went live, with the commit served before it; failures and rollbacks are skipped', () => {
    const a = dep({ start: 0, commit: 'aaa' });
    const b = dep({ start: 10, commit: 'bbb', phase: 'rolled_back' });
    const c = dep({ start: 20, commit: 'ccc', phase: 'rolled_back', rolledBackTo: 1 });
    const r = dep({ start: 30, commit: 'aaa', trigger: 'rollback', previousRelease: c.release, release: a.release });
    const d = dep({ start: 40, commit: 'ddd' });
    const out = deliveredChanges([a, b, c, r, d]).map((x) => [x.deployment.commit, x.previousCommit]);
    // c was rolled back by hand later, but it went live first; its phase is rolled_back in the store.
    assert.deepEqual(out, [
      ['aaa', undefined],
      ['ccc', 'aaa'],
      ['ddd', 'ccc'],
    ]);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');
  test('a number of hours, days or weeks back, or a date', () => {
    assert.equal(parseSince('30d', now), now - 30 * 86_400_000);
    assert.equal(parseSince('12h', now), now - 12 * 3_600_000);
    assert.equal(parseSince('2w', now), now - 14 * 86_400_000);
    assert.equal(parseSince('2026-11-01', now), Date.parse('2026-11-01'));
    assert.equal(parseSince('2026-11-01T08:00:00Z', now), Date.parse('2026-11-01T08:00:00Z'));
  });
  test('anything else, zero, or a time in the future is refused (undefined)', () => {
    for (const bad of ['', '30', 'd', '0d', '-3d', '30 days', '2027-01-01', 'yesterday', '2026-13-45', '1e3d', '30d; rm -rf /']) assert.equal(parseSince(bad, now), undefined, bad);
  });
});
