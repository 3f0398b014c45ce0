// Given a tiny app built in several variants (good, failing every request, failing half, crashing),
// when each is deployed through the real CLI, runtime and proxy, then verification passes the good
// one on synthetic probes, rolls the bad ones back to the warm previous release with the evidence
// recorded, marks their digests bad, and the alert receiver and the signed notifications behave.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TempRepo } from './harness.js';
import { envStatus, get, history } from './deploy-harness.js';
import { alertPayload, appYamlHead, buildVariant, deploymentLog, postAlert, signatureValid, startReceiver, steadyTraffic, type DeploymentEvent } from './verification-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

const TOKEN = 'alert-token-for-tests-0123456789';
const SECRET = 'hook-secret-for-tests-abcdef';
/** Given to every CLI call: the first one starts the control plane, which keeps this environment. */
const ENV = { SLIPWAY_TEST_ALERT_TOKEN: TOKEN, SLIPWAY_TEST_HOOK_SECRET: SECRET };

const yaml = (hookUrl: string): string =>
  [
    ...appYamlHead(),
    'environments:',
    '  staging:',
    '    strategy: blue-green',
    '    verify: { window: 2s, interval: 250ms, probe: { path: / } }',
    '  canary:',
    '    strategy: { canary: [10%, 100%], pause: 20s }',
    '    verify: { window: 1s, interval: 250ms, probe: { path: / } }',
    '  unverified:',
    '    verify: false',
    '  strict:',
    '    verify: { window: 1s, interval: 250ms, inconclusive: fail, probe: { path: / } }',
    '  alerted:',
    '    verify: { window: 1s, interval: 250ms, probe: { path: / } }',
    '    alerts: { protect: 5m }',
    '  late:',
    '    verify: { window: 1s, interval: 250ms, probe: { path: / } }',
    '    alerts: { match: { env: late, severity: /page|critical/ }, protect: 1s }',
    'alertmanager: { token_env: SLIPWAY_TEST_ALERT_TOKEN }',
    'notifications:',
    `  - url: ${hookUrl}`,
    '    events: [succeeded, rolled_back]',
    '    secret_env: SLIPWAY_TEST_HOOK_SECRET',
    '',
  ].join('\n');

interface Deployed {
  id: string;
  phase: string;
  release: number;
  reason?: string;
  rolledBackTo?: number;
}

describe('verification and automatic rollback', () => {
  let repo: TempRepo;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const digests = { good: '', good2: '', bad: '', half: '', crash: '' };
  const cli = (args: string[]) => repo.cli(args, { env: ENV });
  /** `slipway deploy ... --json`: the exit code and the deployment as it ended. */
  const deploy = async (args: string[]): Promise<{ code: number; d: Deployed; stderr: string }> => {
    const r = await cli(['deploy', ...args, '--json']);
    let d: Deployed;
    try {
      d = JSON.parse(r.stdout) as Deployed;
    } catch {
      throw new Error(`deploy ${args.join(' ')} printed no deployment (exit ${r.code}): ${r.stderr}${r.stdout}`);
    }
    return { code: r.code, d, stderr: r.stderr };
  };
  const eventsOf = async (id: string): Promise<DeploymentEvent[]> => (await deploymentLog(repo, id)).events;

  before(async () => {
    receiver = await startReceiver();
    repo = new TempRepo();
    repo.write({ 'slipway.yaml': yaml(receiver.url) });
    // The first command starts the control plane: it gets the variables the config names.
    digests.good = await buildVariant(repo, { variant: 'good' }, ENV);
    digests.good2 = await buildVariant(repo, { variant: 'good2' }, ENV);
    digests.bad = await buildVariant(repo, { variant: 'bad', failRate: 1 }, ENV);
    digests.half = await buildVariant(repo, { variant: 'half', failRate: 0.5 }, ENV);
    digests.crash = await buildVariant(repo, { variant: 'crash', crashAfter: 3 }, ENV);
    assert.equal(new Set(Object.values(digests)).size, 5, 'five distinct digests');
  });
  after(async () => {
    await repo.dispose();
    await receiver.close();
  });

  test('a good release with no traffic passes on synthetic probes; the evidence is recorded', { timeout: 60_000 }, async () => {
    const { code, d, stderr } = await deploy(['staging', '--digest', digests.good]);
    assert.equal(code, 0, stderr);
    assert.equal(d.phase, 'succeeded');
    const events = await eventsOf(d.id);
    assert.ok(events.some((e) => e.kind === 'deployment.probing'), 'no traffic: probes were sent');
    const verified = events.find((e) => e.kind === 'deployment.verified');
    assert.ok(verified, `a deployment.verified event: ${events.map((e) => e.kind).join(', ')}`);
    const report = verified.data.report as { decision: string; requests: number; minSamples: number; checks: { id: string; source: string; status: string; samples: number }[] };
    assert.equal(report.decision, 'pass');
    assert.ok(report.requests >= report.minSamples, `${report.requests} requests, at least ${report.minSamples}`);
    assert.deepEqual(report.checks.filter((c) => !c.id.startsWith('implicit')).map((c) => [c.source, c.status]), [
      ['error_rate < 1%', 'pass'],
      ['p99_latency < 500ms', 'pass'],
    ]);
    assert.ok(!events.some((e) => e.kind === 'deployment.verification_failed'));
  });

  test('a release failing every request is rolled back to the warm previous release, with the evidence, and its digest is marked bad', { timeout: 60_000 }, async () => {
    const before = await envStatus(repo, 'staging');
    const v1 = before.instances.find((i) => i.release === 'v1');
    assert.ok(v1, 'v1 runs');
    const { code, d } = await deploy(['staging', '--digest', digests.bad]);
    assert.equal(code, 1);
    assert.equal(d.phase, 'rolled_back');

    // history: rolled back, to v1, the reason names the check
    const h = await history(repo, 'staging');
    assert.equal(h[0]?.id, d.id);
    assert.equal(h[0]?.status, 'rolled_back');
    assert.equal(h[0]?.rolled_back_to, 1);
    assert.match(h[0]?.reason ?? '', /verification failed \(window\): .*error_rate < 1%/);

    // the environment is back on v1, served by the same (warm) instance
    const s = await envStatus(repo, 'staging');
    assert.equal(s.current?.release, 'v1');
    assert.ok(s.instances.some((i) => i.release === 'v1' && i.pid === v1.pid), 'v1 was not restarted: a pointer swap');
    const answer = await get(s.url ?? '');
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { release: string }).release, 'v1');

    // the evidence: which check, samples, threshold, first bad sample, verdict and restore
    const events = await eventsOf(d.id);
    const failed = events.find((e) => e.kind === 'deployment.verification_failed');
    assert.ok(failed, `a deployment.verification_failed event: ${events.map((e) => e.kind).join(', ')}`);
    assert.equal(failed.data.check, 'error_rate < 1%');
    const report = failed.data.report as { checks: { source: string; status: string; samples: number; threshold?: number; observed?: number; firstBadAt?: number }[] };
    const check = report.checks.find((c) => c.source === 'error_rate < 1%');
    assert.ok(check);
    assert.equal(check.status, 'fail');
    assert.equal(check.threshold, 0.01);
    assert.equal(check.observed, 1);
    assert.ok(check.samples >= 10, `${check.samples} samples`);
    assert.ok(check.firstBadAt && check.firstBadAt <= Date.parse(failed.at), 'first bad sample before the verdict');
    const restored = events.find((e) => e.kind === 'deployment.restored');
    assert.ok(restored);
    assert.equal(restored.data.to, 'v1');
    assert.equal(typeof restored.data.msFromVerdict, 'number');
    assert.ok(Date.parse(restored.at) >= Date.parse(failed.at));

    const text = await cli(['logs', d.id]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /v2 FAILED verification \(window\)/);
    assert.match(text.stdout, /FAIL\s+error_rate < 1%: observed 100\.00% vs 1\.00%, \d+ samples, p=[\d.e+-]+, first bad at \d\d:\d\d:\d\d\.\d{3}/);
    assert.match(text.stdout, /traffic restored to v1 \d+ ms after the verdict/);
    assert.match(text.stdout, /→ rolled_back: verification failed/);

    // automation never redeploys the bad digest; --force can, and is recorded
    const again = await cli(['deploy', 'staging', '--digest', digests.bad]);
    assert.equal(again.code, 4, again.stderr);
    assert.match(again.stderr, /was rolled back in staging and is marked bad/);
    assert.match(again.stderr, /--force/);
    const forced = await deploy(['staging', '--digest', digests.bad, '--force']);
    assert.notEqual(forced.code, 4, 'accepted with --force');
    assert.equal(forced.d.phase, 'rolled_back', 'still bad: verified and rolled back again');
    const hf = await history(repo, 'staging');
    assert.equal(hf[0]?.id, forced.d.id);
    assert.equal(hf[0]?.forced, true);
    const created = (await eventsOf(forced.d.id)).find((e) => e.kind === 'deployment.created');
    assert.deepEqual(created?.data.forced, ['the digest is marked bad']);
    assert.equal((await envStatus(repo, 'staging')).current?.release, 'v1');
  });

  test('a crash during the window fails the verification', { timeout: 60_000 }, async () => {
    const { code, d } = await deploy(['staging', '--digest', digests.crash]);
    assert.equal(code, 1);
    assert.equal(d.phase, 'rolled_back');
    assert.equal(d.rolledBackTo, 1);
    assert.match(d.reason ?? '', /verification failed \(window\): .*(crash|restart)/i);
    const failed = (await eventsOf(d.id)).find((e) => e.kind === 'deployment.verification_failed');
    const checks = (failed?.data.report as { checks: { id: string; status: string; samples: number; firstBadAt?: number }[] } | undefined)?.checks ?? [];
    const crash = checks.find((c) => c.id === 'implicit:restarts');
    assert.equal(crash?.status, 'fail', JSON.stringify(checks));
    assert.ok(crash.samples >= 1 && crash.firstBadAt);
    assert.equal((await envStatus(repo, 'staging')).current?.release, 'v1');
  });

  test('canary: a release failing half its requests is caught at the first step; users see errors only from it, and none after the restore', { timeout: 60_000 }, async (t) => {
    const first = await deploy(['canary', '--digest', digests.good]);
    assert.equal(first.code, 0, first.stderr);
    const url = (await envStatus(repo, 'canary')).url ?? '';
    const run = deploy(['canary', '--digest', digests.half]);
    // Bounded open-loop traffic through the proxy, on until a second after the deployment ended.
    const traffic = await steadyTraffic({ url, rps: 40, until: run.then(() => sleep(1000)), maxMs: 50_000 });
    const { code, d } = await run;
    assert.equal(code, 1);
    assert.equal(d.phase, 'rolled_back');
    assert.equal(d.rolledBackTo, 1);

    const events = await eventsOf(d.id);
    const failed = events.find((e) => e.kind === 'deployment.verification_failed');
    assert.equal(failed?.data.label, 'canary 10%', 'caught at the first canary step');
    assert.deepEqual(
      events.filter((e) => e.kind === 'deployment.routed').map((e) => e.data.label),
      ['canary 10%'],
      'never routed beyond 10%',
    );
    const restored = events.find((e) => e.kind === 'deployment.restored');
    assert.ok(restored);
    const restoredAt = Date.parse(restored.at);

    const answers = traffic.answers;
    const bad = answers.filter((a) => a.status < 200 || a.status > 299);
    const from = (r: string) => answers.filter((a) => a.upstream === r).length;
    t.diagnostic(`${answers.length} requests: v1 ${from('v1')}, v2 ${from('v2')}; blast radius ${bad.length} bad answers, all from v2; verdict ${Date.parse(failed.at) - (bad[0]?.doneAt ?? NaN)} ms after the first; restore ${String(restored.data.msFromVerdict)} ms after the verdict`);
    assert.ok(bad.length > 0, 'the canary did serve some errors');
    assert.deepEqual([...new Set(bad.map((a) => `${a.status} ${a.upstream}`))], ['500 v2'], 'errors only from the bad release');
    assert.ok(from('v1') > 3 * from('v2'), `the stable release kept most traffic (v1 ${from('v1')}, v2 ${from('v2')})`);
    const afterRestore = answers.filter((a) => a.sentAt > restoredAt);
    assert.ok(afterRestore.length > 0, 'traffic went on after the restore');
    assert.deepEqual(afterRestore.filter((a) => a.upstream !== 'v1' || a.status !== 200), [], 'after the restore only v1 answers, and well');
  });

  test('verify: false skips verification (explicitly): even a failing release succeeds', { timeout: 60_000 }, async () => {
    assert.equal((await deploy(['unverified', '--digest', digests.good])).code, 0);
    const { code, d, stderr } = await deploy(['unverified', '--digest', digests.bad]);
    assert.equal(code, 0, stderr);
    assert.equal(d.phase, 'succeeded');
    const kinds = (await eventsOf(d.id)).map((e) => e.kind);
    for (const k of ['deployment.verifying', 'deployment.probing', 'deployment.verified', 'deployment.verification_failed']) assert.ok(!kinds.includes(k), `no ${k}: ${kinds.join(', ')}`);
    const s = await envStatus(repo, 'unverified');
    assert.equal(s.current?.release, 'v2');
    assert.equal((await get(s.url ?? '')).status, 500, 'nothing checked it');
  });

  test('inconclusive: fail with no traffic fails the verification as inconclusive, never a pass', { timeout: 60_000 }, async () => {
    const { code, d } = await deploy(['strict', '--digest', digests.good]);
    assert.equal(code, 1);
    assert.notEqual(d.phase, 'succeeded');
    assert.match(d.reason ?? '', /verification failed \(window\): inconclusive after 1s: not enough evidence to pass/);
    const events = await eventsOf(d.id);
    const failed = events.find((e) => e.kind === 'deployment.verification_failed');
    assert.equal(failed?.data.reason, 'inconclusive');
    assert.ok(!events.some((e) => e.kind === 'deployment.verified' || e.kind === 'deployment.probing'), 'no probes under inconclusive: fail');
    assert.equal((await envStatus(repo, 'strict')).current, null, 'nothing serves: there was no earlier release');
  });

  test('alert receiver: 401 without or with a wrong token and 400 for a malformed payload change nothing; a firing alert within the window rolls back', { timeout: 60_000 }, async () => {
    assert.equal((await deploy(['alerted', '--digest', digests.good])).code, 0);
    const second = await deploy(['alerted', '--digest', digests.good2]);
    assert.equal(second.code, 0, second.stderr);
    const alertsReceived = async () => (JSON.parse((await cli(['events', '-n', '10000', '--json'])).stdout) as DeploymentEvent[]).filter((e) => e.kind === 'alert.received');
    const receivedBefore = (await alertsReceived()).length;
    const firing = alertPayload({ alertname: 'HighErrorRate', env: 'alerted', severity: 'page' });

    const none = await postAlert(repo, firing);
    assert.equal(none.status, 401, none.body);
    const wrong = await postAlert(repo, firing, { authorization: `Bearer ${TOKEN}x` });
    assert.equal(wrong.status, 401, wrong.body);
    // The API token opens the API, not this hook.
    const apiToken = await postAlert(repo, firing, { authorization: `Bearer ${readFileSync(join(repo.dir, '.slipway', 'token'), 'utf8').trim()}` });
    assert.equal(apiToken.status, 401, apiToken.body);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const notJson = await postAlert(repo, '{"version": "4", "alerts": [', auth);
    assert.equal(notJson.status, 400, notJson.body);
    const noAlerts = await postAlert(repo, JSON.stringify({ ...(JSON.parse(firing) as object), alerts: 'many' }), auth);
    assert.equal(noAlerts.status, 400, noAlerts.body);
    assert.match(noAlerts.body, /alerts/);
    assert.equal((await alertsReceived()).length, receivedBefore, 'nothing recorded');
    assert.equal((await envStatus(repo, 'alerted')).current?.release, 'v2', 'nothing changed');
    assert.equal((await history(repo, 'alerted'))[0]?.status, 'succeeded');

    const ok = await postAlert(repo, firing, auth);
    assert.equal(ok.status, 200, ok.body);
    const answer = JSON.parse(ok.body) as { actions: { env: string; action: string; deployment?: string; reason: string }[] };
    assert.equal(answer.actions.length, 1, ok.body);
    assert.equal(answer.actions[0]?.env, 'alerted');
    assert.equal(answer.actions[0]?.action, 'rolled_back');
    const rollbackId = answer.actions[0]?.deployment ?? '';
    const done = await waitFor(async () => {
      const h = await history(repo, 'alerted');
      return h.find((x) => x.id === rollbackId && x.finished_at) ? h : undefined;
    }, { what: 'the alert rollback to finish', interval: 200 });
    assert.equal(done[0]?.trigger, 'rollback');
    assert.equal(done[0]?.status, 'succeeded');
    const undone = done.find((x) => x.id === second.d.id);
    assert.equal(undone?.status, 'rolled_back');
    assert.match(undone?.reason ?? '', new RegExp(`rolled back by ${rollbackId}: alert HighErrorRate fired at .*within its 5m protection window`));
    assert.equal((await envStatus(repo, 'alerted')).current?.release, 'v1');
    const redeploy = await cli(['deploy', 'alerted', '--digest', digests.good2]);
    assert.equal(redeploy.code, 4, 'the digest the alert rolled back is marked bad');
    const received = (await alertsReceived()).slice(receivedBefore);
    assert.deepEqual(received.map((e) => [e.subject, e.data.alert, e.data.inWindow]), [['alerted', 'HighErrorRate', true]]);
  });

  test('an alert outside the protection window is only recorded', { timeout: 60_000 }, async () => {
    const d = await deploy(['late', '--digest', digests.good]);
    assert.equal(d.code, 0, d.stderr);
    await sleep(1500); // protect: 1s
    const auth = { authorization: `Bearer ${TOKEN}` };
    const r = await postAlert(repo, alertPayload({ alertname: 'LateAlert', env: 'late', severity: 'critical' }), auth);
    assert.equal(r.status, 200, r.body);
    const answer = JSON.parse(r.body) as { received: number; unmatched: number; actions: { env: string; action: string; reason: string }[] };
    assert.deepEqual(answer.actions.map((a) => [a.env, a.action]), [['late', 'recorded']]);
    assert.match(answer.actions[0]?.reason ?? '', /past its 0m protection window|after the last deploy/);
    // Labels that do not match (severity) belong to no environment.
    const other = JSON.parse((await postAlert(repo, alertPayload({ alertname: 'Info', env: 'late', severity: 'info' }), auth)).body) as { unmatched: number; actions: unknown[] };
    assert.equal(other.unmatched, 1);
    assert.deepEqual(other.actions, []);
    const events = JSON.parse((await cli(['events', '-n', '10000', '--json'])).stdout) as DeploymentEvent[];
    const late = events.filter((e) => e.kind === 'alert.received' && e.subject === 'late');
    assert.deepEqual(late.map((e) => [e.data.alert, e.data.inWindow]), [['LateAlert', false]]);
    const h = await history(repo, 'late');
    assert.deepEqual(h.map((x) => [x.id, x.status]), [[d.d.id, 'succeeded']], 'no rollback');
    assert.equal((await envStatus(repo, 'late')).current?.release, 'v1');
  });

  test('notifications: signed webhooks for succeeded and rolled_back, retried after a failed first attempt', { timeout: 60_000 }, async () => {
    const h = await history(repo, 'staging');
    const succeeded = h.find((x) => x.status === 'succeeded' && x.trigger === 'deploy');
    const rolledBack = h.find((x) => x.status === 'rolled_back' && x.digest === digests.bad && !x.forced);
    assert.ok(succeeded && rolledBack);
    for (const [id, event] of [[succeeded.id, 'succeeded'], [rolledBack.id, 'rolled_back']] as const) {
      const attempts = await waitFor(() => {
        const mine = receiver.deliveries.filter((x) => (JSON.parse(x.body) as { deployment: { id: string; env: string } }).deployment.id === id && x.body.includes('"env":"staging"'));
        return mine.some((x) => x.answered === 200) ? mine : undefined;
      }, { what: `the ${event} notification of ${id} delivered`, timeout: 30_000 });
      assert.equal(attempts.length, 2, 'a failed attempt, then one retry');
      assert.deepEqual(attempts.map((a) => a.answered), [503, 200]);
      assert.equal(attempts[0]?.headers['x-slipway-delivery'], attempts[1]?.headers['x-slipway-delivery'], 'one delivery id across retries');
      assert.ok((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0) >= 3000, 'backed off before retrying');
      for (const a of attempts) {
        assert.equal(a.headers['x-slipway-event'], event);
        assert.ok(signatureValid(String(a.headers['x-slipway-signature']), SECRET, a.body), 'HMAC-SHA256 of the raw body with the secret');
        assert.ok(!signatureValid(String(a.headers['x-slipway-signature']), `${SECRET}x`, a.body));
      }
      const body = JSON.parse(attempts[1]?.body ?? '{}') as { event: string; app: string; deployment: { status: string; rolled_back_to: number | null; reason: string | null }; evidence: { decision: string; checks: { check: string; status: string }[] } | null };
      assert.equal(body.event, event);
      assert.equal(body.app, 'tiny');
      assert.equal(body.deployment.status, event);
      if (event === 'rolled_back') {
        assert.equal(body.deployment.rolled_back_to, 1);
        assert.match(body.deployment.reason ?? '', /error_rate < 1%/);
        assert.equal(body.evidence?.decision, 'fail');
        assert.ok(body.evidence.checks.some((c) => c.check === 'error_rate < 1%' && c.status === 'fail'));
      } else {
        assert.equal(body.evidence?.decision, 'pass');
      }
    }
  });
});
