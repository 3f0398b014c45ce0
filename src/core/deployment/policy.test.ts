import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDeploy, checkPromotion, chooseStrategy, DEFAULT_CANARY, type DeployPolicyInput } from './policy.js';

const base: DeployPolicyInput = { env: 'prod', digest: 'sha256:aa', trigger: 'deploy', force: false, digestIsBad: false, configured: { kind: 'blue-green' } };

describe('checkDeploy', () => {
  test('given a plain environment, when a digest is deployed, then it goes ahead unforced with the configured strategy', () => {
    assert.deepEqual(checkDeploy(base), { ok: true, strategy: { kind: 'blue-green' }, forced: false, forcedReasons: [] });
  });

  test('given promote_from, when a digest is deployed directly, then it is refused with the promote command as the hint', () => {
    const d = checkDeploy({ ...base, promoteFrom: 'staging' });
    assert.equal(d.ok, false);
    assert.ok(!d.ok);
    assert.equal(d.message, 'prod takes only digests promoted from staging');
    assert.match(d.hint, /slipway promote staging prod/);
  });

  test('given promote_from, when the digest arrives by promotion, a rollback or a config change, then it goes ahead', () => {
    for (const trigger of ['promote', 'rollback', 'config', 'auto'] as const) {
      const d = checkDeploy({ ...base, promoteFrom: 'staging', trigger });
      assert.equal(d.ok, true, trigger);
    }
  });

  test('given promote_from and a bad digest, when forced, then both overrides are recorded as reasons', () => {
    const d = checkDeploy({ ...base, promoteFrom: 'staging', digestIsBad: true, force: true });
    assert.deepEqual(d, { ok: true, strategy: { kind: 'blue-green' }, forced: true, forcedReasons: ['deployed directly although prod has promote_from: staging', 'the digest is marked bad'] });
  });

  test('given a digest marked bad, when deployed without force, then it is refused and names the digest', () => {
    const d = checkDeploy({ ...base, digestIsBad: true });
    assert.ok(!d.ok);
    assert.equal(d.message, 'sha256:aa was rolled back in prod and is marked bad');
  });

  test('given nothing to override, when forced, then the deployment is not recorded as forced', () => {
    const d = checkDeploy({ ...base, force: true });
    assert.ok(d.ok);
    assert.equal(d.forced, false);
  });
});

describe('chooseStrategy', () => {
  const canary = { kind: 'canary' as const, steps: [0.25, 1], pauseMs: 2000 };
  test('the configured strategy unless one is asked for', () => {
    assert.deepEqual(chooseStrategy(canary, undefined), canary);
    assert.deepEqual(chooseStrategy(canary, 'blue-green'), { kind: 'blue-green' });
  });
  test('a canary asked for uses the environment steps, else the default canary', () => {
    assert.deepEqual(chooseStrategy(canary, 'canary'), canary);
    assert.deepEqual(chooseStrategy({ kind: 'blue-green' }, 'canary'), DEFAULT_CANARY);
  });
});

describe('checkPromotion', () => {
  const p = { from: 'staging', to: 'prod', force: false, succeededInSource: true, digest: 'sha256:aa' };
  test('given a digest verified in the source, when promoted, then it goes ahead', () => {
    assert.deepEqual(checkPromotion(p), { ok: true });
    assert.deepEqual(checkPromotion({ ...p, targetPromoteFrom: 'staging' }), { ok: true });
  });
  test('given a target that takes promotions from another environment, then it is refused unless forced', () => {
    const d = checkPromotion({ ...p, from: 'qa', targetPromoteFrom: 'staging' });
    assert.ok(!d.ok);
    assert.equal(d.message, 'prod takes promotions from staging only, not from qa');
    assert.equal(d.hint, 'run `slipway promote staging prod`');
    assert.deepEqual(checkPromotion({ ...p, from: 'qa', targetPromoteFrom: 'staging', force: true }), { ok: true });
  });
  test('given a digest that never succeeded in the source, then even --force does not promote it', () => {
    const d = checkPromotion({ ...p, succeededInSource: false, force: true });
    assert.ok(!d.ok);
    assert.equal(d.message, 'sha256:aa never succeeded in staging');
  });
});
