// Given an environment with `rollback: manual` and a canary strategy, when a release fails its
// verification at the first canary step, then the deployment is held: the evidence is recorded,
// both releases keep serving at the step's weights, the live stream says what to run next, status
// and history show `held`, and another deploy is refused. `slipway rollback` then restores the
// previous release as an automatic rollback would have; in a second run, `--continue` carries the
// held deployment on to success once the release behaves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { TempRepo } from './harness.js';
import { envStatus, history } from './deploy-harness.js';
import { appYamlHead, buildVariant, deploymentLog } from './verification-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

const yaml = [
  ...appYamlHead(),
  'environments:',
  '  held:',
  '    strategy: { canary: [50%, 100%], pause: 20s }',
  '    verify: { window: 1s, interval: 250ms, probe: { path: / } }',
  '    rollback: manual',
  '',
].join('\n');

/**
 * A build of the tiny app that answers 500 to everything until it is sent `GET /heal`, then 200:
 * a release that fails its first verification and behaves afterwards. Every answer names its
 * release in `x-upstream`.
 */
const healableSource = `// tiny app (healable)
const http = require('node:http');
const release = process.env.SLIPWAY_RELEASE || 'dev';
let failing = true;
const s = http.createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(200); res.end('ok'); return; }
  if (req.url === '/heal') failing = false;
  const body = JSON.stringify({ release, failing });
  res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-upstream': release });
  res.end(body);
});
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

/** One GET through the environment's port: the status and the release that answered. */
const ask = (url: string): Promise<{ status: number; upstream: string }> =>
  new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, upstream: String(res.headers['x-upstream'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });

/** The releases that answered `n` requests, with their statuses. */
const sample = async (url: string, n: number): Promise<Map<string, Set<number>>> => {
  const seen = new Map<string, Set<number>>();
  for (let i = 0; i < n; i++) {
    const a = await ask(url);
    seen.set(a.upstream, (seen.get(a.upstream) ?? new Set()).add(a.status));
  }
  return seen;
};

interface Ended {
  id: string;
  phase: string;
  release: number;
  reason?: string;
  rolledBackTo?: number;
  cause?: string;
  blame?: boolean;
}

describe('rollback: manual holds a release that failed its verification', () => {
  let repo: TempRepo;
  const digests = { good: '', bad: '', healable: '' };

  before(async () => {
    repo = new TempRepo();
    repo.write({ 'slipway.yaml': yaml });
    digests.good = await buildVariant(repo, { variant: 'good' });
    digests.bad = await buildVariant(repo, { variant: 'bad', failRate: 1 });
    repo.write({ 'server.cjs': healableSource });
    repo.commit('app: healable');
    const r = await repo.cli(['run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    digests.healable = (JSON.parse(r.stdout) as { run: { digest: string } }).run.digest;
    assert.equal(new Set(Object.values(digests)).size, 3, 'three distinct digests');
  });
  after(async () => {
    await repo.dispose();
  });

  test('held at the canary step, both releases still served, another deploy refused; rollback restores v1 as auto would have', { timeout: 120_000 }, async () => {
    const first = await repo.cli(['deploy', 'held', '--digest', digests.good]);
    assert.equal(first.code, 0, first.stderr);

    // The live stream ends on held, saying what to run next (exit 1: it did not succeed).
    const r = await repo.cli(['deploy', 'held', '--digest', digests.bad]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAILED verification \(canary 50%\)/);
    assert.match(r.stdout, /HELD \(rollback: manual\): v2 keeps serving as it was — v2 50%, v1 50%/);
    assert.match(r.stderr, /⏸ d2 held: v2 failed its verification and keeps serving as it was/);
    assert.match(r.stderr, /next: `slipway rollback held` goes back to v1; `slipway deploy held --continue` carries on/);

    // The evidence is recorded as for an automatic rollback; nothing was restored, retired or marked.
    const log = await deploymentLog(repo, 'd2');
    const d = log.deployment as Ended;
    assert.deepEqual([d.phase, d.cause, d.blame], ['held', 'check', true]);
    assert.match(d.reason ?? '', /verification failed \(canary 50%\): .*error_rate < 1%/);
    const kinds = log.events.map((e) => e.kind);
    assert.ok(kinds.includes('deployment.verification_failed'), kinds.join(', '));
    for (const k of ['deployment.restored', 'deployment.retired', 'deployment.digest_marked_bad']) assert.ok(!kinds.includes(k), `no ${k} while held`);

    // status and history show held; the routes are the step's, both releases run.
    const s = await envStatus(repo, 'held');
    assert.equal(s.current?.release, 'v1', 'v1 is still the current release');
    assert.deepEqual(s.routes, [{ release: 'v2', weight: 0.5 }, { release: 'v1', weight: 0.5 }]);
    assert.deepEqual([...new Set(s.instances.filter((i) => i.state === 'healthy').map((i) => i.release))].sort(), ['v1', 'v2']);
    const status = JSON.parse((await repo.cli(['status', '--json'])).stdout) as { environments: { env: string; lastDeployment: { status: string } | null }[] };
    assert.equal(status.environments.find((e) => e.env === 'held')?.lastDeployment?.status, 'held');
    assert.equal((await history(repo, 'held'))[0]?.status, 'held');
    assert.match((await repo.cli(['status'])).stdout, /HELD: `slipway rollback held` or `slipway deploy held --continue`/);
    const text = await repo.cli(['history', 'held']);
    assert.match(text.stdout, /held/);

    // Traffic: both releases answer, as before the verdict (v2 with its 500s).
    const seen = await sample(s.url ?? '', 40);
    assert.deepEqual([...seen.keys()].sort(), ['v1', 'v2'], 'both releases serve at 50 %');
    assert.deepEqual([...(seen.get('v1') ?? [])], [200]);
    assert.deepEqual([...(seen.get('v2') ?? [])], [500]);

    // Another deploy (or promotion, or config release) is refused while one is held.
    const refused = await repo.cli(['deploy', 'held', '--digest', digests.healable, '--json']);
    assert.equal(refused.code, 4, refused.stdout + refused.stderr);
    const err = (JSON.parse(refused.stdout) as { error: { code: string; message: string; hint: string } }).error;
    assert.equal(err.code, 'refused');
    assert.match(err.message, /^held has a held deployment, d2: v2 failed its verification/);
    assert.match(err.hint, /`slipway rollback held` goes back to v1, or `slipway deploy held --continue` carries on/);
    assert.equal((await history(repo, 'held')).length, 2, 'no deployment was created');
    // --continue takes nothing that would change the plan.
    const usage = await repo.cli(['deploy', 'held', '--continue', '--digest', digests.good]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--continue .* takes no --digest/);

    // Converging leaves it as it is: down/up brings both releases back on the step's routes, and a
    // restarted control plane does not resume (nor roll back) the held deployment.
    assert.equal((await repo.cli(['down'])).code, 0);
    const up = await repo.cli(['up']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /held +v2 .*; d2 is held: its routes are kept \(v2 50%, v1 50%\)/);
    assert.equal((await repo.cli(['server', 'stop'])).code, 0);
    const upAgain = await envStatus(repo, 'held');
    assert.deepEqual(upAgain.routes, [{ release: 'v2', weight: 0.5 }, { release: 'v1', weight: 0.5 }]);
    assert.deepEqual([...(await sample(upAgain.url ?? '', 40)).keys()].sort(), ['v1', 'v2'], 'both releases serve after down/up and a restart');
    assert.equal((await history(repo, 'held'))[0]?.status, 'held');

    // rollback: the held deployment itself rolls back, exit 0; v1 takes all the traffic.
    const back = await repo.cli(['rollback', 'held']);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.match(back.stdout, /rollback asked for by/);
    assert.match(back.stdout, /✔ d2 rolled back: held is back on v1/);
    const h = await history(repo, 'held');
    assert.equal(h.length, 2, 'the held deployment was rolled back, no new one');
    assert.deepEqual([h[0]?.id, h[0]?.status, h[0]?.rolled_back_to], ['d2', 'rolled_back', 1]);
    const after = await envStatus(repo, 'held');
    assert.equal(after.current?.release, 'v1');
    assert.deepEqual(after.routes, [{ release: 'v1', weight: 1 }]);
    assert.deepEqual([...(await sample(after.url ?? '', 10)).keys()], ['v1']);
    // As auto would have: the digest is marked bad, so deploying it again is refused.
    const again = await repo.cli(['deploy', 'held', '--digest', digests.bad, '--json']);
    assert.equal(again.code, 4, again.stdout);
    assert.match(again.stdout, /bad/);
    // Nothing is held any more.
    const nothing = await repo.cli(['deploy', 'held', '--continue']);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing is held in held/);
  });

  test('held again, then --continue carries the plan past the failed verification to success', { timeout: 120_000 }, async () => {
    const r = await repo.cli(['deploy', 'held', '--digest', digests.healable]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const held = (await history(repo, 'held'))[0];
    assert.deepEqual([held?.status, held?.release], ['held', 3]);
    const url = (await envStatus(repo, 'held')).url ?? '';

    // The release starts behaving: heal it (requests go to either release until v3 answers one).
    await waitFor(async () => (await ask(`${url}heal`)).upstream === 'v3', { timeout: 10_000, interval: 10, what: 'v3 to answer /heal' });

    const c = await repo.cli(['deploy', 'held', '--continue', '--json']);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    const end = JSON.parse(c.stdout) as Ended;
    assert.deepEqual([end.id, end.phase, end.release], [held?.id, 'succeeded', 3]);
    const kinds = (await deploymentLog(repo, end.id)).events.map((e) => `${e.kind}${e.kind === 'deployment.decided' ? `:${String(e.data.decision)}` : ''}`);
    const from = kinds.indexOf('deployment.decided:continue');
    assert.ok(from > kinds.indexOf('deployment.held'), kinds.join(', '));
    assert.ok(kinds.slice(from).includes('deployment.routed') && kinds.slice(from).includes('deployment.verified'), `routed 100% and verified after --continue: ${kinds.join(', ')}`);
    const s = await envStatus(repo, 'held');
    assert.equal(s.current?.release, 'v3');
    assert.deepEqual([...(await sample(s.url ?? '', 10)).keys()], ['v3']);
    // The promotion form reaches the same place: nothing is held now.
    const none = await repo.cli(['promote', '--continue', 'held']);
    assert.equal(none.code, 2, none.stdout + none.stderr);
    assert.match(none.stderr, /nothing is held in held/);
    const twoEnvs = await repo.cli(['promote', 'staging', 'held', '--continue']);
    assert.equal(twoEnvs.code, 2);
    assert.match(twoEnvs.stderr, /unexpected argument "held"/);
  });
});
