// Given one app under load, when the control plane is killed at each crash point of runs, config
// and secret changes and merges (the walk is in crash-points-harness.ts), then after each restart
// the invariants of SPEC §12 hold. crash-points-deploy.test.ts walks the deployment's points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CRASH_POINT_NAMES } from '../../src/core/crash-points.js';
import { CASES, crashWalk } from './crash-points-harness.js';

test('every crash point has a case', () => {
  const covered = new Set(CASES.map((c) => c.point));
  assert.deepEqual(CRASH_POINT_NAMES.filter((p) => !covered.has(p)), []);
});

void crashWalk('crash points of runs, config and secret changes and merges: kill -9, restart, and the invariants hold', ['run', 'config', 'secret', 'merge']);
