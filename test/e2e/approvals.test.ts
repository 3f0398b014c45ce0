// Given environments with `approval: required` and named tokens (alice, bob and carol with the
// deploy role, a reader), when alice asks for a deployment, then it waits in `awaiting_approval`
// with nothing started (status, history and the API say so) and other deploys are refused; alice
// can neither approve nor reject it, a read token gets 403, an unknown id 404; of two approvals at
// once exactly one wins and the other gets 409; approved, it deploys; rejected or withdrawn,
// nothing starts; each decision and its comment are in the audit trail; a promotion waits too; and
// an approval_timeout rejects it by itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TempRepo, type CliResult } from './harness.js';
import { envStatus, history } from './deploy-harness.js';
import { apiBase, appYamlHead, buildVariant } from './verification-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

const yaml = [
  ...appYamlHead(),
  'environments:',
  '  staging:',
  '    verify: false',
  '  production:',
  '    approval: required',
  '    verify: false',
  '  gated:',
  '    promote_from: staging',
  '    approval: required',
  '    verify: false',
  '  timed:',
  '    approval: required',
  '    approval_timeout: 2s',
  '    verify: false',
  '',
].join('\n');

interface Dep {
  id: string;
  env: string;
  phase: string;
  release: number;
  actor: string;
  reason?: string;
  approvalDeadline?: string;
}
interface Ev {
  kind: string;
  actor: string;
  data: Record<string, unknown>;
}
type Answer = { status: number; json: { deployment?: Dep; events?: Ev[]; error?: { code: string; message: string; hint?: string } } };

describe('approvals', () => {
  let repo: TempRepo;
  let base = '';
  const tokens: Record<string, string> = {};
  const digests = { one: '', two: '' };

  const ok = async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    const r = await repo.cli(args, { env });
    assert.equal(r.code, 0, `slipway ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const call = async (who: string, method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Answer['json']) : {} };
  };
  /** alice asks for a deployment through the API; it waits for an approval. */
  const request = async (env: string, digest: string): Promise<Dep> => {
    const a = await call('alice', 'POST', '/v1/deployments', { env, digest });
    assert.equal(a.status, 202, JSON.stringify(a.json));
    const d = a.json.deployment as Dep;
    assert.deepEqual([d.phase, d.actor], ['awaiting_approval', 'alice']);
    return d;
  };
  const deployment = async (id: string): Promise<{ deployment: Dep; events: Ev[] }> => {
    const a = await call('reader', 'GET', `/v1/deployments/${id}`);
    assert.equal(a.status, 200, JSON.stringify(a.json));
    return { deployment: a.json.deployment as Dep, events: a.json.events ?? [] };
  };
  const decided = (events: Ev[]): { decision: unknown; by: unknown; comment: unknown; actor: string }[] =>
    events.filter((e) => e.kind === 'deployment.decided').map((e) => ({ decision: e.data.decision, by: e.data.by, comment: e.data.comment, actor: e.actor }));

  before(async () => {
    repo = new TempRepo('slipway-approvals-');
    repo.write({ 'slipway.yaml': yaml });
    digests.one = await buildVariant(repo, { variant: 'one' });
    digests.two = await buildVariant(repo, { variant: 'two' });
    for (const [name, role] of [['alice', 'deploy'], ['bob', 'deploy'], ['carol', 'deploy'], ['reader', 'read']]) {
      tokens[name ?? ''] = (await ok(['tokens', 'create', '--name', name ?? '', '--role', role ?? ''])).stdout.trim();
    }
    base = apiBase(repo);
  });
  after(async () => {
    await repo.dispose();
  });

  test('a deployment waits with nothing started; the requester cannot decide; two approvals at once: one wins; approved, it deploys', { timeout: 120_000 }, async () => {
    // alice asks with the CLI, acting as her token.
    const asked = await ok(['deploy', 'production', '--digest', digests.one, '--detach'], { SLIPWAY_TOKEN: tokens.alice ?? '' });
    const id = asked.stdout.trim();
    assert.match(id, /^d\d+$/);

    // Visible as waiting in history, status (text and JSON) and the API; nothing runs.
    assert.deepEqual((await history(repo, 'production')).map((h) => [h.id, h.status, h.actor]), [[id, 'awaiting_approval', 'alice']]);
    const status = JSON.parse((await ok(['status', '--json'])).stdout) as { awaitingApproval: { id: string; env: string; actor: string }[]; environments: { env: string }[] };
    assert.deepEqual(status.awaitingApproval.map((d) => [d.id, d.env, d.actor]), [[id, 'production', 'alice']]);
    assert.equal(status.environments.some((e) => e.env === 'production'), false, 'nothing was started or routed');
    assert.match((await ok(['status'])).stdout, new RegExp(`production +AWAITING APPROVAL ${id} v1 asked for by alice: \`slipway approve ${id}\``));
    const waiting = await deployment(id);
    assert.deepEqual(waiting.events.map((e) => e.kind), ['deployment.created', 'deployment.awaiting_approval']);

    // Another deploy to the environment is refused while it waits, and creates nothing.
    const other = await call('bob', 'POST', '/v1/deployments', { env: 'production', digest: digests.two });
    assert.equal(other.status, 403, JSON.stringify(other.json));
    assert.match(other.json.error?.message ?? '', new RegExp(`^production has a deployment awaiting approval, ${id}: v1 asked for by alice`));

    // The requester may decide neither way (CLI and API); a reader may not; unknown ids are 404.
    const self = await repo.cli(['approve', id], { env: { SLIPWAY_TOKEN: tokens.alice ?? '' } });
    assert.equal(self.code, 4, self.stdout + self.stderr);
    assert.match(self.stderr, new RegExp(`alice asked for ${id}, so alice cannot approve it`));
    const selfReject = await call('alice', 'POST', `/v1/deployments/${id}/reject`, {});
    assert.equal(selfReject.status, 403);
    assert.equal(selfReject.json.error?.code, 'refused');
    const reader = await call('reader', 'POST', `/v1/deployments/${id}/approve`, {});
    assert.equal(reader.status, 403);
    assert.equal(reader.json.error?.code, 'forbidden');
    const unknown = await call('bob', 'POST', '/v1/deployments/d999/approve', {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error?.code, 'not_found');
    const badComment = await call('bob', 'POST', `/v1/deployments/${id}/approve`, { comment: 5 });
    assert.equal(badComment.status, 400);
    assert.match(badComment.json.error?.message ?? '', /"comment" must be a string/);
    const notAnId = await repo.cli(['approve', 'x;rm'], { env: { SLIPWAY_TOKEN: tokens.bob ?? '' } });
    assert.equal(notAnId.code, 2);
    assert.equal((await deployment(id)).deployment.phase, 'awaiting_approval', 'none of these changed anything');

    // bob and carol approve at once: exactly one wins, the other is told why (409).
    const both = await Promise.all([call('bob', 'POST', `/v1/deployments/${id}/approve`, { comment: 'ship it' }), call('carol', 'POST', `/v1/deployments/${id}/approve`, { comment: 'me too' })]);
    assert.deepEqual(both.map((a) => a.status).sort(), [202, 409], JSON.stringify(both.map((a) => a.json)));
    const loser = both.find((a) => a.status === 409);
    assert.equal(loser?.json.error?.code, 'conflict');
    assert.match(loser?.json.error?.message ?? '', new RegExp(`production is locked by .*${id}: approve by|${id} is not awaiting approval: it is`));
    const winner = both.findIndex((a) => a.status === 202) === 0 ? 'bob' : 'carol';

    await waitFor(async () => (await deployment(id)).deployment.phase === 'succeeded', { timeout: 60_000, interval: 100, what: `${id} to succeed once approved` });
    const done = await deployment(id);
    assert.deepEqual(decided(done.events), [{ decision: 'approve', by: winner, comment: winner === 'bob' ? 'ship it' : 'me too', actor: winner }]);
    assert.equal((await envStatus(repo, 'production')).current?.release, 'v1');
    // Decided once: another decision is a conflict naming the phase.
    const late = await call('bob', 'POST', `/v1/deployments/${id}/reject`, {});
    assert.equal(late.status, 409);
    assert.equal(late.json.error?.message, `${id} is not awaiting approval: it is succeeded`);
  });

  test('withdrawn by its requester or rejected with a comment: nothing starts, and it is recorded; approved with the CLI, it is followed to its end', { timeout: 120_000 }, async () => {
    const withdrawn = await request('production', digests.two);
    const cancel = await call('alice', 'POST', `/v1/deployments/${withdrawn.id}/cancel`, {});
    assert.equal(cancel.status, 200, JSON.stringify(cancel.json));
    assert.equal(cancel.json.deployment?.phase, 'canceled');
    assert.deepEqual(decided((await deployment(withdrawn.id)).events), [{ decision: 'withdraw', by: 'alice', comment: null, actor: 'alice' }]);

    const rejected = await request('production', digests.two);
    const r = await ok(['reject', rejected.id, '--comment', 'not on a Friday'], { SLIPWAY_TOKEN: tokens.bob ?? '' });
    assert.match(r.stdout, new RegExp(`✖ ${rejected.id} rejected: production keeps what it serves \\(rejected by bob: not on a Friday\\)`));
    const after = await deployment(rejected.id);
    assert.equal(after.deployment.phase, 'rejected');
    assert.deepEqual(decided(after.events), [{ decision: 'reject', by: 'bob', comment: 'not on a Friday', actor: 'bob' }]);
    assert.ok(!after.events.some((e) => e.kind === 'deployment.starting'), 'nothing started');
    const prod = await envStatus(repo, 'production');
    assert.equal(prod.current?.release, 'v1');
    assert.deepEqual([...new Set(prod.instances.map((i) => i.release))], ['v1'], 'no instance of the rejected release');
    const h = await history(repo, 'production');
    assert.deepEqual(h.slice(0, 2).map((x) => [x.id, x.status]), [[rejected.id, 'rejected'], [withdrawn.id, 'canceled']]);
    assert.match((await ok(['history', 'production'])).stdout, /rejected +sha256/);

    const approved = await request('production', digests.two);
    const a = await ok(['approve', approved.id, '--comment', 'fine'], { SLIPWAY_TOKEN: tokens.carol ?? '' });
    assert.match(a.stdout, new RegExp(`approved by carol: fine`));
    assert.match(a.stdout, new RegExp(`✔ ${approved.id} succeeded`));
    assert.equal((await envStatus(repo, 'production')).current?.release, `v${approved.release}`);
  });

  test('a promotion into an environment with approval: required waits too', { timeout: 120_000 }, async () => {
    await ok(['deploy', 'staging', '--digest', digests.one]);
    const p = await call('alice', 'POST', '/v1/promotions', { from: 'staging', to: 'gated' });
    assert.equal(p.status, 202, JSON.stringify(p.json));
    assert.deepEqual([p.json.deployment?.phase, p.json.deployment?.env], ['awaiting_approval', 'gated']);
    const r = await call('bob', 'POST', `/v1/deployments/${p.json.deployment?.id ?? ''}/reject`, { comment: 'later' });
    assert.equal(r.status, 200);
    assert.equal(r.json.deployment?.phase, 'rejected');
  });

  test('approval_timeout: nobody decided, so it is rejected by itself, recorded as slipway', { timeout: 60_000 }, async () => {
    const d = await request('timed', digests.one);
    assert.ok(d.approvalDeadline !== undefined && Date.parse(d.approvalDeadline) - Date.parse((d as unknown as { startedAt: string }).startedAt) === 2000, JSON.stringify(d));
    await waitFor(async () => (await deployment(d.id)).deployment.phase === 'rejected', { timeout: 20_000, interval: 100, what: `${d.id} to be rejected by its timeout` });
    const after = await deployment(d.id);
    assert.match(after.deployment.reason ?? '', /^nobody approved it within 2\.0 s \(approval_timeout\): rejected/);
    assert.deepEqual(decided(after.events).map((x) => [x.decision, x.by, x.actor]), [['reject', 'slipway', 'slipway']]);
    const late = await call('bob', 'POST', `/v1/deployments/${d.id}/approve`, {});
    assert.equal(late.status, 409);
    assert.equal(late.json.error?.message, `${d.id} is not awaiting approval: it is rejected`);
  });
});
