// Given the example app built once, when it is deployed, promoted and rolled back through the real
// CLI, the real runtime and the real edge proxy, then the same digest serves everywhere and the
// history records every step.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TempRepo } from './harness.js';
import { envStatus, exampleRepo, get, history } from './deploy-harness.js';

describe('deploy, promote, rollback', () => {
  let repo: TempRepo;
  let digest = '';
  before(async () => {
    repo = exampleRepo();
    const r = await repo.cli(['run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    digest = (JSON.parse(r.stdout) as { run: { digest: string } }).run.digest;
  });
  after(() => repo.dispose());

  test('promote refuses while nothing succeeded in staging, and production refuses a direct deploy', async () => {
    const p = await repo.cli(['promote', 'staging', 'production']);
    assert.equal(p.code, 4, p.stderr);
    assert.match(p.stderr, /nothing has succeeded in staging/);
    const d = await repo.cli(['deploy', 'production']);
    assert.equal(d.code, 4);
    assert.match(d.stderr, /production takes only digests promoted from staging/);
    assert.match(d.stderr, /slipway promote staging production/);
  });

  test('rollback with no earlier release is refused clearly', async () => {
    const r = await repo.cli(['rollback', 'staging']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nothing was ever deployed to staging/);
  });

  test('deploys the latest green build to staging, behind the proxy', async () => {
    const r = await repo.cli(['deploy', 'staging']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /staging v1 healthy|v1 healthy/);
    assert.match(r.stdout, /✔ d1 succeeded/);
    const s = await envStatus(repo, 'staging');
    assert.equal(s.current?.release, 'v1');
    assert.equal(s.current?.digest, digest);
    const answer = await get(s.url ?? '');
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { release: string }).release, 'v1');
  });

  test('promotes the same digest to production without rebuilding, through the canary steps', async () => {
    const runsBefore = (JSON.parse((await repo.cli(['runs', '--json'])).stdout) as unknown[]).length;
    const r = await repo.cli(['promote', 'staging', 'production']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const prod = await envStatus(repo, 'production');
    assert.equal(prod.current?.digest, digest, 'the digest verified in staging');
    assert.equal((JSON.parse((await repo.cli(['runs', '--json'])).stdout) as unknown[]).length, runsBefore, 'no new run: no rebuild');
    const h = await history(repo, 'production');
    assert.equal(h[0]?.trigger, 'promote');
    assert.equal(h[0]?.digest, digest);
    assert.equal((await get(prod.url ?? '')).status, 200);
  });

  test('a second deploy to staging keeps the previous release warm; rollback is a pointer swap', async () => {
    // The same build and config already serve: --force makes it a new release anyway.
    const d = await repo.cli(['deploy', 'staging', '--force']);
    assert.equal(d.code, 0, d.stderr + d.stdout);
    let s = await envStatus(repo, 'staging');
    assert.equal(s.current?.release, 'v2');
    assert.deepEqual(s.routes, [{ release: 'v2', weight: 1 }, { release: 'v1', weight: 0 }]);
    assert.ok(s.instances.some((i) => i.release === 'v1' && i.state === 'healthy'), 'v1 still warm');

    const r = await repo.cli(['rollback', 'staging']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stdout, /starting v1/, 'no cold start');
    s = await envStatus(repo, 'staging');
    assert.equal(s.current?.release, 'v1');
    assert.equal((JSON.parse((await get(s.url ?? '')).body) as { release: string }).release, 'v1');

    const h = await history(repo, 'staging');
    assert.deepEqual(
      h.map((x) => [x.id, x.release, x.trigger, x.status, x.rolled_back_to]),
      [
        ['d4', 1, 'rollback', 'succeeded', null],
        ['d3', 2, 'deploy', 'rolled_back', 1],
        ['d1', 1, 'deploy', 'succeeded', null],
      ],
    );
    for (const x of h) {
      assert.equal(x.env, 'staging');
      assert.equal(x.digest, digest);
      assert.match(x.commit, /^[0-9a-f]{40}$/);
      assert.equal(x.author, 'Test Author');
      assert.ok(x.started_at && x.finished_at);
    }
    assert.match(h[1]?.reason ?? '', /rolled back by d4/);
  });

  test('rollback --to names a release; one that is current or never succeeded is refused', async () => {
    const cur = await repo.cli(['rollback', 'staging', '--to', 'v1']);
    assert.equal(cur.code, 4);
    assert.match(cur.stderr, /already the current release/);
    const bad = await repo.cli(['rollback', 'staging', '--to', 'v9']);
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /no release v9/);
    const syntax = await repo.cli(['rollback', 'staging', '--to', 'latest']);
    assert.equal(syntax.code, 2);
  });

  test('deploy --force to production is recorded as forced', async () => {
    const r = await repo.cli(['deploy', 'production', '--force']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /FORCED: deployed directly although production has promote_from: staging/);
    const h = await history(repo, 'production');
    assert.equal(h[0]?.forced, true);
  });

  test('unknown environments, digests and deployments are clear errors', async () => {
    const env = await repo.cli(['deploy', 'qa']);
    assert.equal(env.code, 2);
    assert.match(env.stderr, /unknown environment "qa"/);
    assert.match(env.stderr, /staging, production/);
    const dig = await repo.cli(['deploy', 'staging', '--digest', 'sha256:' + '0'.repeat(64)]);
    assert.equal(dig.code, 2);
    assert.match(dig.stderr, /no artifact/);
    const logs = await repo.cli(['logs', 'd99']);
    assert.equal(logs.code, 2);
    const strategy = await repo.cli(['deploy', 'staging', '--strategy', 'yolo']);
    assert.equal(strategy.code, 2);
  });

  test('slipway logs shows a deployment’s events, canary steps included', async () => {
    const first = await repo.cli(['logs', 'd2']);
    assert.equal(first.code, 0);
    assert.match(first.stdout, /promote of production v1/);
    assert.match(first.stdout, /routed 100%: v1 100%/, 'the first release has nothing to shift from');
    assert.match(first.stdout, /— d2 production v1 succeeded/);
    const canary = await repo.cli(['logs', 'd5']);
    const routed = canary.stdout.split('\n').filter((l) => l.includes('routed'));
    assert.deepEqual(
      routed.map((l) => l.replace(/^.* routed /, '').replace(/ on :\d+.*$/, '')),
      ['canary 10%: v2 10%, v1 90%', 'canary 50%: v2 50%, v1 50%', '100%: v2 100%, v1 0%'],
    );
  });
});
