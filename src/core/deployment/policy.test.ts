import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alreadyServes, autoDeployNote, checkDeploy, checkPromotion, chooseDeploySource, chooseStrategy, DEFAULT_CANARY, type DeployPolicyInput, type RunFacts } from './policy.js';

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

describe('a hand-picked digest whose run failed', () => {
  test('given --digest of a build whose run failed, then it is refused unless forced, and forcing is recorded', () => {
    const d = checkDeploy({ ...base, failedRun: { number: 7, reason: 'gate test failed' } });
    assert.ok(!d.ok);
    assert.equal(d.message, 'sha256:aa was built by run #7, which failed: gate test failed');
    assert.match(d.hint, /--force/);
    assert.deepEqual(checkDeploy({ ...base, failedRun: { number: 7 }, force: true }), { ok: true, strategy: { kind: 'blue-green' }, forced: true, forcedReasons: ['its run #7 failed'] });
  });
});

const run = (number: number, commit: string, status: RunFacts['status'], digest?: string): RunFacts => ({ id: `r${number}`, number, commit: commit.padEnd(40, '0'), message: `commit ${commit}`, status, ...(digest ? { digest } : {}), ...(status === 'failed' ? { reason: 'step test failed' } : {}) });

describe('chooseDeploySource', () => {
  const runs = [run(3, 'c3', 'failed', 'sha256:c3'), run(2, 'c2', 'passed', 'sha256:c2'), run(1, 'c1', 'passed', 'sha256:c1')];
  test('the newest commit passed: its build, and the note names the run and the commit', () => {
    const s = chooseDeploySource('staging', 'c2'.padEnd(40, '0'), runs.slice(1));
    assert.ok(s.ok);
    assert.equal(s.run.digest, 'sha256:c2');
    assert.equal(s.note, 'deploying run #2 of commit c200000000 ("commit c2"), the newest commit');
  });
  test('the newest commit failed its run: refused, naming it, with the last green build as a deliberate choice', () => {
    const s = chooseDeploySource('staging', 'c3'.padEnd(40, '0'), runs);
    assert.ok(!s.ok);
    assert.equal(s.message, 'the newest commit c300000000 ("commit c3") failed its run #3: step test failed');
    assert.match(s.hint, /slipway run.*`slipway deploy staging --digest sha256:c2` \(run #2 of commit c200000000/);
  });
  test('a newer run of the same commit decides; a run still going or canceled refuses', () => {
    assert.ok(chooseDeploySource('staging', 'c3'.padEnd(40, '0'), [run(4, 'c3', 'passed', 'sha256:c3'), ...runs]).ok);
    const going = chooseDeploySource('staging', 'c3'.padEnd(40, '0'), [run(4, 'c3', 'running'), ...runs]);
    assert.ok(!going.ok && /has not finished \(running\)/.test(going.message));
    const canceled = chooseDeploySource('staging', 'c3'.padEnd(40, '0'), [run(4, 'c3', 'canceled'), ...runs]);
    assert.ok(!canceled.ok && /had its run #4 canceled/.test(canceled.message));
  });
  test('a newest commit never run: the newest green build, and the note says why; nothing green: refused', () => {
    const s = chooseDeploySource('staging', 'c9'.padEnd(40, '0'), runs);
    assert.ok(s.ok);
    assert.equal(s.run.number, 2);
    assert.match(s.note, /newest green build: the newest commit c900000000 has no run yet/);
    const none = chooseDeploySource('staging', undefined, [run(1, 'c1', 'failed')]);
    assert.ok(!none.ok && none.nothingBuilt === true && none.message === 'no green build to deploy yet');
  });
});

describe('alreadyServes', () => {
  const serving = { release: 4, digest: 'sha256:aa', running: true, sameConfig: true };
  test('the same digest and config, up and running: a no-op that says so', () => {
    assert.match(alreadyServes('prod', 'sha256:aa', serving, false) ?? '', /^prod already runs sha256:aa with this config as v4: nothing to deploy/);
  });
  test('another digest, another config, nothing running, nothing deployed, or --force: go ahead', () => {
    assert.equal(alreadyServes('prod', 'sha256:bb', serving, false), undefined);
    assert.equal(alreadyServes('prod', 'sha256:aa', { ...serving, sameConfig: false }, false), undefined);
    assert.equal(alreadyServes('prod', 'sha256:aa', { ...serving, running: false }, false), undefined);
    assert.equal(alreadyServes('prod', 'sha256:aa', undefined, false), undefined);
    assert.equal(alreadyServes('prod', 'sha256:aa', serving, true), undefined);
  });
});

describe('autoDeployNote', () => {
  test('a passed run says it deployed nothing, and what deploys deploy: auto environments', () => {
    assert.match(autoDeployNote({ status: 'passed', trigger: 'cli' }, ['staging']) ?? '', /^no automatic deployment: staging \(`deploy: auto`\) is deployed when main advances through the merge queue .*`slipway deploy staging`$/);
    assert.match(autoDeployNote({ status: 'passed', trigger: 'cli' }, []) ?? '', /no environment has `deploy: auto`/);
    assert.equal(autoDeployNote({ status: 'failed', trigger: 'cli' }, ['staging']), undefined);
    assert.equal(autoDeployNote({ status: 'passed', trigger: 'queue' }, ['staging']), undefined);
  });
});
