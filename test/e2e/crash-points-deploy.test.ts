// Given one app under load, when the control plane is killed at each crash point of deployments,
// verifications and rollbacks (a deploy, a `slipway rollback`, a deploy that fails its verification
// and rolls back; the walk is in crash-points-harness.ts), then after each restart the invariants of
// SPEC §12 hold. crash-points.test.ts walks the other points.
import { crashWalk } from './crash-points-harness.js';

void crashWalk('crash points of deployments, verifications and rollbacks: kill -9, restart, and the invariants hold', ['deploy', 'rollback', 'failing']);
