import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_RETENTION, planRetention, type DiskItem, type RetentionState } from './plan.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-05T12:00:00Z');
const dg = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const artifact = (n: number, ageMs = 2 * HOUR): DiskItem => ({ kind: 'artifact', digest: dg(n), path: `/a/${n}`, bytes: 100 + n, modifiedAt: NOW - ageMs });
const releases = (count: number, digestOf = (n: number) => n): { number: number; digest: string }[] =>
  Array.from({ length: count }, (_, i) => ({ number: i + 1, digest: dg(digestOf(i + 1)) }));

const base = (over: Partial<RetentionState> = {}): RetentionState => ({ now: NOW, environments: [], inFlight: [], activeRuns: [], recentBuilds: [], items: [], ...over });
const removed = (s: RetentionState, policy = { ...DEFAULT_RETENTION, keepReleases: 2 }): string[] =>
  planRetention(s, policy).remove.map((d) => (d.item.kind === 'artifact' ? d.item.digest : d.item.kind === 'release-dir' ? `${d.item.env}/v${d.item.release}` : d.item.path));

describe('planRetention', () => {
  test('keeps the last N releases, the current and the previous; removes the artifacts only older releases used', () => {
    const s = base({
      environments: [{ env: 'staging', releases: releases(6), current: 6, previous: 1, live: [6] }],
      items: [1, 2, 3, 4, 5, 6].map((n) => artifact(n)),
    });
    assert.deepEqual(removed(s), [dg(2), dg(3), dg(4)]);
    const plan = planRetention(s, { ...DEFAULT_RETENTION, keepReleases: 2 });
    assert.deepEqual(plan.keptReleases, { staging: [1, 5, 6] });
    assert.equal(plan.bytes, 102 + 103 + 104);
    assert.match(plan.keep.find((k) => k.item.kind === 'artifact' && k.item.digest === dg(1))?.why ?? '', /previous/);
  });

  test('an artifact shared by an old and a kept release, or by another environment, stays', () => {
    const s = base({
      environments: [
        { env: 'staging', releases: releases(5, (n) => (n === 1 ? 5 : n)), current: 5, live: [] },
        { env: 'production', releases: [{ number: 1, digest: dg(2) }], current: 1, live: [1] },
      ],
      items: [2, 3, 5].map((n) => artifact(n)),
    });
    assert.deepEqual(removed(s), [dg(3)]);
  });

  test('in-flight deployments and runs, recent builds, pins and young files are kept', () => {
    const s = base({
      environments: [{ env: 'staging', releases: releases(8), current: 8, live: [] }],
      inFlight: [{ id: 'd9', env: 'staging', release: 2, digest: dg(2) }],
      activeRuns: [{ id: 'r1', digest: dg(3) }],
      recentBuilds: [dg(4)],
      items: [...[1, 2, 3, 4, 5, 6].map((n) => artifact(n)), artifact(20, 1000), { kind: 'work-dir', path: '/w/x', bytes: 5, modifiedAt: 0 }],
    });
    assert.deepEqual(removed(s, { ...DEFAULT_RETENTION, keepReleases: 2, pinned: [dg(5)] }), [dg(1), dg(6)]);
    assert.deepEqual(planRetention(s, { ...DEFAULT_RETENTION, keepReleases: 2 }).keptReleases, { staging: [2, 7, 8] });
  });

  test('release directories go with their release; work directories only when no run is in flight', () => {
    const dir = (release: number): DiskItem => ({ kind: 'release-dir', env: 'staging', release, path: `/r/${release}`, bytes: 1, modifiedAt: 0 });
    const work: DiskItem = { kind: 'work-dir', path: '/w/old', bytes: 7, modifiedAt: 0 };
    const s = base({ environments: [{ env: 'staging', releases: releases(4), current: 4, live: [4] }], items: [dir(1), dir(3), dir(4), work] });
    assert.deepEqual(removed(s), ['staging/v1', '/w/old']);
    assert.deepEqual(removed({ ...s, activeRuns: [{ id: 'r2' }] }), ['staging/v1']);
    // A directory of an environment gc knows nothing of is old and unowned.
    assert.deepEqual(removed({ ...s, items: [{ kind: 'release-dir', env: 'gone', release: 1, path: '/r/g1', bytes: 1, modifiedAt: 0 }] }), ['gone/v1']);
  });

  test('property: no artifact a kept release, in-flight deployment, active run, recent build or pin references is ever removed', () => {
    const digest = fc.integer({ min: 1, max: 12 }).map(dg);
    const env = fc.record({
      env: fc.constantFrom('staging', 'production', 'qa'),
      releases: fc.array(digest, { maxLength: 15 }).map((ds) => ds.map((d, i) => ({ number: i + 1, digest: d }))),
      current: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined }),
      previous: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined }),
      live: fc.array(fc.integer({ min: 1, max: 15 }), { maxLength: 3 }),
    });
    const state = fc.record({
      now: fc.constant(NOW),
      environments: fc.uniqueArray(env, { selector: (e) => e.env, maxLength: 3 }),
      inFlight: fc.array(fc.record({ id: fc.constant('d1'), env: fc.constantFrom('staging', 'production'), release: fc.integer({ min: 1, max: 15 }), digest }), { maxLength: 2 }),
      activeRuns: fc.array(fc.record({ id: fc.constant('r1'), digest: fc.option(digest, { nil: undefined }) }), { maxLength: 2 }),
      recentBuilds: fc.array(digest, { maxLength: 2 }),
      items: fc.array(fc.record({ kind: fc.constant('artifact' as const), digest, path: fc.constant('/a'), bytes: fc.nat(1000), modifiedAt: fc.integer({ min: NOW - 10 * HOUR, max: NOW }) }), { maxLength: 20 }),
    });
    const policy = fc.record({ keepReleases: fc.integer({ min: 0, max: 5 }), pinned: fc.array(digest, { maxLength: 2 }), minAgeMs: fc.constantFrom(0, HOUR) });
    fc.assert(
      fc.property(state, policy, (s, p) => {
        const plan = planRetention(s, p);
        const referenced = new Set<string>([...s.inFlight.map((d) => d.digest), ...s.activeRuns.flatMap((r) => (r.digest ? [r.digest] : [])), ...s.recentBuilds, ...p.pinned]);
        for (const e of s.environments) {
          const newest = [...e.releases].sort((a, b) => b.number - a.number).slice(0, p.keepReleases).map((r) => r.number);
          const kept = new Set([...newest, ...e.live, ...(e.current ? [e.current] : []), ...(e.previous ? [e.previous] : []), ...s.inFlight.filter((d) => d.env === e.env).map((d) => d.release)]);
          for (const r of e.releases) if (kept.has(r.number)) referenced.add(r.digest);
        }
        for (const d of plan.remove) assert.ok(d.item.kind !== 'artifact' || !referenced.has(d.item.digest), `${JSON.stringify(d)} is referenced`);
        assert.equal(plan.remove.length + plan.keep.length, s.items.length, 'every item is decided once');
        assert.equal(plan.bytes, plan.remove.reduce((n, d) => n + d.item.bytes, 0));
      }),
      { numRuns: 500 },
    );
  });
});
