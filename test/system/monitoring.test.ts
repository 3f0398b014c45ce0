// Given the real monitoring peers (Debian's Prometheus scraping the proxy's /metrics, with an alert
// rule on each release's error rate, and Alertmanager posting to Slipway's webhook with a bearer
// token), when a release that passed its verification window starts failing under traffic, then
// the whole chain rolls it back; and a `prometheus:` check verifies releases against the real
// Prometheus.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TempRepo } from '../e2e/harness.js';
import { envStatus, history } from '../e2e/deploy-harness.js';
import { freePort } from '../e2e/proxy-helpers.js';
import { apiBase, appYamlHead, buildVariant, deploymentLog, steadyTraffic, type Traffic } from '../e2e/verification-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';
import { missingPeers, queryValue, startAlertmanager, startPrometheus, type Peer } from './monitoring-peers.js';

const TOKEN = 'system-test-alert-token-5f2c9a';
const ENV = { SLIPWAY_SYSTEM_ALERT_TOKEN: TOKEN };
const ERRORS = 'slipway_proxy_requests_total';
/** A release's share of 5xx answers over the last 5 s, per environment and release. */
const ERROR_RATE_RULE = `sum by (env, release) (rate(${ERRORS}{code="5xx"}[5s])) / sum by (env, release) (rate(${ERRORS}[5s]))`;
/** Requests a latent fault lets through: more than the verification window's probes, fewer than a few seconds of traffic. */
const FAIL_AFTER = 150;

const skip = missingPeers();

describe('monitoring with the real Prometheus and Alertmanager', { skip: skip ?? false }, () => {
  let repo: TempRepo;
  let dir: string;
  let prometheus: Peer | undefined;
  let alertmanager: Peer | undefined;
  let promPort = 0;
  const digests = { good: '', latent: '', bad: '' };
  const cli = (args: string[]) => repo.cli(args, { env: ENV });
  const deploy = async (args: string[]): Promise<{ code: number; d: { id: string; phase: string; reason?: string; rolledBackTo?: number }; out: string }> => {
    const r = await cli(['deploy', ...args, '--json']);
    try {
      return { code: r.code, d: JSON.parse(r.stdout) as { id: string; phase: string; reason?: string }, out: r.stderr };
    } catch {
      throw new Error(`deploy ${args.join(' ')} printed no deployment (exit ${r.code}): ${r.stderr}${r.stdout}`);
    }
  };
  const peerLogs = (): string => [prometheus, alertmanager].map((p) => (p ? `--- ${p.name}:\n${p.log().slice(-1500)}` : '')).join('\n');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-monitoring-'));
    promPort = await freePort();
    repo = new TempRepo();
    repo.write({
      'slipway.yaml': [
        ...appYamlHead(),
        'environments:',
        '  production:',
        '    verify: { window: 1s, interval: 250ms }',
        '    alerts: { match: { env: production, severity: page }, protect: 10m }',
        '  checked:',
        '    verify:',
        '      window: 5s',
        '      interval: 500ms',
        '      checks:',
        `        - prometheus: 'sum(rate(${ERRORS}{env="{{env}}",release="{{release}}",code="5xx"}[10s])) or vector(0)'`,
        '          below: 0.5',
        '    alerts: false',
        `prometheus: { url: 'http://127.0.0.1:${promPort}', timeout: 2s }`,
        'alertmanager: { token_env: SLIPWAY_SYSTEM_ALERT_TOKEN }',
        '',
      ].join('\n'),
    });
    // The first command starts the control plane, which keeps the token's variable.
    digests.good = await buildVariant(repo, { variant: 'good' }, ENV);
    digests.latent = await buildVariant(repo, { variant: 'latent', failRate: 1, failAfter: FAIL_AFTER }, ENV);
    digests.bad = await buildVariant(repo, { variant: 'bad', failRate: 1 }, ENV);
    // A first release makes the proxy run: its admin port is what Prometheus scrapes.
    const first = await deploy(['production', '--digest', digests.good]);
    assert.equal(first.code, 0, first.out);
    const proxy = JSON.parse(readFileSync(join(repo.dir, '.slipway', 'proxy', 'proxy.json'), 'utf8')) as { adminPort: number };
    const amPort = await freePort();
    alertmanager = await startAlertmanager({ dir, port: amPort, webhook: `${apiBase(repo)}/v1/hooks/alertmanager`, token: TOKEN });
    prometheus = await startPrometheus({
      dir,
      port: promPort,
      targets: [`127.0.0.1:${proxy.adminPort}`],
      alertmanager: `127.0.0.1:${amPort}`,
      rules: [
        'groups:',
        '  - name: slipway',
        '    interval: 1s',
        '    rules:',
        '      - alert: SlipwayReleaseErrors',
        `        expr: '${ERROR_RATE_RULE} > 0.2'`,
        '        labels: { severity: page }',
        '        annotations: { summary: "{{ $labels.env }} {{ $labels.release }} answers errors" }',
        '',
      ].join('\n'),
    });
    // Prometheus sees the proxy before any test relies on it.
    await waitFor(async () => ((await queryValue(prometheus?.url ?? '', 'up{job="slipway-proxy"}')) === 1 ? true : undefined), { what: 'Prometheus to scrape the proxy', timeout: 20_000 });
  });

  after(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await repo?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a release that turns bad after its verification window is rolled back by the alert chain', { timeout: 90_000 }, async (t) => {
    const url = (await envStatus(repo, 'production')).url ?? '';
    const v2 = await deploy(['production', '--digest', digests.latent]);
    assert.equal(v2.code, 0, `the latent fault passes verification: ${v2.out}`);
    assert.equal((await envStatus(repo, 'production')).current?.release, 'v2');

    // Users arrive: after FAIL_AFTER requests v2 fails every one; Prometheus sees it, the rule
    // fires, Alertmanager posts, Slipway rolls back to v1.
    const started = Date.now();
    let rolledBack: Awaited<ReturnType<typeof history>> | undefined;
    const watching = waitFor(
      async () => {
        const h = await history(repo, 'production');
        const undone = h.find((x) => x.id === v2.d.id && x.status === 'rolled_back');
        const rollback = h[0]?.trigger === 'rollback' && h[0].finished_at ? h[0] : undefined;
        return undone && rollback ? (rolledBack = h) : undefined;
      },
      { what: 'the alert chain to roll production back', timeout: 60_000, interval: 100 },
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${peerLogs()}`);
    });
    const traffic: Traffic = await steadyTraffic({ url, rps: 30, until: watching.then(() => sleep(1500)), maxMs: 70_000 });
    await watching;
    assert.ok(rolledBack);

    const rollback = rolledBack[0];
    assert.equal(rollback?.release, 1);
    const undone = rolledBack.find((x) => x.id === v2.d.id);
    assert.match(undone?.reason ?? '', new RegExp(`rolled back by ${rollback?.id}: alert SlipwayReleaseErrors fired at .*within its 10m protection window`));
    assert.equal((await envStatus(repo, 'production')).current?.release, 'v1');
    const again = await cli(['deploy', 'production', '--digest', digests.latent]);
    assert.equal(again.code, 4, `the digest is marked bad: ${again.stderr}`);
    const events = JSON.parse((await cli(['events', '-n', '10000', '--json'])).stdout) as { kind: string; subject: string; actor: string; data: Record<string, unknown> }[];
    const alert = events.find((e) => e.kind === 'alert.received' && e.subject === 'production');
    assert.equal(alert?.actor, 'alertmanager');
    assert.equal((alert?.data.labels as Record<string, string> | undefined)?.release, 'v2', 'the rule names the failing release');

    const firstBad = traffic.answers.filter((a) => a.status !== 200).sort((a, b) => a.doneAt - b.doneAt)[0];
    const afterRestore = traffic.answers.filter((a) => a.sentAt > Date.parse(rollback?.finished_at ?? '') + 100);
    assert.ok(firstBad, 'v2 did fail under traffic');
    assert.ok(afterRestore.length > 0);
    assert.deepEqual(afterRestore.filter((a) => a.status !== 200 || a.upstream !== 'v1'), [], 'v1 serves after the rollback');
    const bad = traffic.answers.filter((a) => a.status !== 200);
    t.diagnostic(`first error ${firstBad.doneAt - started} ms into the traffic; rolled back ${Date.parse(rollback?.finished_at ?? '') - firstBad.doneAt} ms after it through Prometheus and Alertmanager; ${bad.length} bad answers of ${traffic.answers.length}`);
  });

  test('a prometheus: check passes a good release and fails a bad one on the real Prometheus, with the reading as evidence', { timeout: 90_000 }, async () => {
    const good = await deploy(['checked', '--digest', digests.good]);
    assert.equal(good.code, 0, good.out);
    const passed = (await deploymentLog(repo, good.d.id)).events.find((e) => e.kind === 'deployment.verified');
    const passReport = passed?.data.report as { checks: { source: string; status: string; observed?: number; samples: number }[] } | undefined;
    assert.equal(passReport?.checks[0]?.status, 'pass', JSON.stringify(passReport));
    assert.match(passReport.checks[0].source, /^prometheus: sum\(rate\(slipway_proxy_requests_total/);
    assert.equal(passReport.checks[0].observed, 0);
    assert.ok(passReport.checks[0].samples > 0, 'readings were taken');

    const url = (await envStatus(repo, 'checked')).url ?? '';
    const run = deploy(['checked', '--digest', digests.bad]);
    await steadyTraffic({ url, rps: 20, until: run, maxMs: 60_000 });
    const { code, d } = await run;
    assert.equal(code, 1);
    assert.equal(d.phase, 'rolled_back');
    assert.equal(d.rolledBackTo, 1);
    assert.match(d.reason ?? '', /verification failed \(window\): .*slipway_proxy_requests_total/);
    const failed = (await deploymentLog(repo, d.id)).events.find((e) => e.kind === 'deployment.verification_failed');
    const check = (failed?.data.report as { checks: { source: string; status: string; observed?: number; threshold?: number }[] } | undefined)?.checks[0];
    assert.equal(check?.status, 'fail', JSON.stringify(failed?.data));
    assert.ok((check.observed ?? 0) >= 0.5, `observed ${check.observed} errors/s`);
    assert.equal(check.threshold, 0.5);
    const text = await cli(['logs', d.id]);
    assert.match(text.stdout, /FAIL\s+prometheus: sum\(rate\(slipway_proxy_requests_total\{env="\{\{env\}\}",release="\{\{release\}\}",code="5xx"\}\[10s\]\)\) or vector\(0\) < 0\.5: observed/);
  });

  test('with Prometheus gone, the prometheus: check is a measurement in error; the fifth in a row fails the verification with a clear message', { timeout: 60_000 }, async () => {
    await prometheus?.stop();
    const { code, d } = await deploy(['checked', '--digest', digests.latent]);
    assert.equal(code, 1);
    assert.equal(d.phase, 'rolled_back');
    assert.equal(d.rolledBackTo, 1);
    const unreachable = `Prometheus at http://127.0.0.1:${promPort} is unreachable: ECONNREFUSED`;
    assert.ok(d.reason?.includes(unreachable), d.reason);
    assert.match(d.reason ?? '', /5 measurements in error in a row; at most 4 tolerated/);
    const failed = (await deploymentLog(repo, d.id)).events.find((e) => e.kind === 'deployment.verification_failed');
    assert.equal(failed?.data.reason, 'error');
    const check = (failed?.data.report as { checks: { status: string; consecutiveErrors: number; message: string }[] } | undefined)?.checks[0];
    assert.equal(check?.status, 'error');
    assert.equal(check.consecutiveErrors, 5);
    assert.ok(check.message.includes(unreachable), check.message);
    assert.equal((await envStatus(repo, 'checked')).current?.release, 'v1');
  });
});
