// Given a healthy release being verified behind the real proxy, when a stranger sends the review's
// 210 requests with two Host headers to the environment's port during the verification window,
// then each is answered 400 at the proxy, none counts against the release, and the release passes
// (before, each became a 502 of the release and rolled a healthy release back).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempRepo } from './harness.js';
import { envStatus } from './deploy-harness.js';
import { apiBase, appYamlHead, buildVariant, type DeploymentEvent } from './verification-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

/** The review's request: a Host the proxy serves, then a second one. */
const duplicateHost = (port: number): string => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: attacker.example\r\nUser-Agent: review\r\n\r\n`;
const REVIEW_REQUESTS = 210;

/** Sends one raw request on a fresh connection; resolves with the status ('' → 0 when dropped). */
const sendRaw = (port: number, text: string): Promise<number> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const deadline = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve(data === '' ? 0 : Number(data.slice(9, 12)));
    });
    socket.end(text);
  });

describe('a stranger on the edge cannot roll back a healthy release', () => {
  let repo: TempRepo;
  const digests = { v1: '', v2: '' };
  let api: <T>(path: string) => Promise<T>;

  before(async () => {
    repo = new TempRepo();
    repo.write({ 'slipway.yaml': [...appYamlHead(), 'environments:', '  staging:', '    strategy: blue-green', '    verify: { window: 4s, interval: 250ms }', ''].join('\n') });
    digests.v1 = await buildVariant(repo, { variant: 'one' });
    digests.v2 = await buildVariant(repo, { variant: 'two' });
    const token = readFileSync(join(repo.dir, '.slipway', 'token'), 'utf8').trim();
    api = async <T>(path: string): Promise<T> => (await (await fetch(`${apiBase(repo)}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as T;
    const first = await repo.cli(['deploy', 'staging', '--digest', digests.v1, '--json']);
    assert.equal(first.code, 0, first.stderr);
  });
  after(() => repo.dispose());

  test("the review's 210 duplicate-Host requests during verification: all 400, the release passes", { timeout: 120_000 }, async () => {
    const port = (await envStatus(repo, 'staging')).port;
    assert.ok(port, 'staging listens');
    const { events: before } = await api<{ events: DeploymentEvent[] }>('/v1/events?limit=10000');
    const afterSeq = before.at(-1)?.seq ?? 0;
    const deploying = repo.cli(['deploy', 'staging', '--digest', digests.v2, '--json']);

    // When v2's verification window opens …
    const verifying = await waitFor(
      async () => {
        const { events } = await api<{ events: DeploymentEvent[] }>(`/v1/events?after=${afterSeq}&limit=10000`);
        return events.find((e) => e.kind === 'deployment.verifying');
      },
      { what: 'the verification window of v2 to open', timeout: 60_000 },
    );
    // … the stranger sends 210 requests with two Host headers, ten at a time.
    const statuses: number[] = [];
    for (let i = 0; i < REVIEW_REQUESTS; i += 10) {
      statuses.push(...(await Promise.all(Array.from({ length: Math.min(10, REVIEW_REQUESTS - i) }, () => sendRaw(port, duplicateHost(port))))));
    }
    const sentAllAt = Date.now();

    const r = await deploying;
    assert.equal(r.code, 0, `the deployment of a healthy release succeeds: ${r.stderr}${r.stdout}`);
    const d = JSON.parse(r.stdout) as { id: string; phase: string };
    assert.equal(d.phase, 'succeeded');
    assert.deepEqual([...new Set(statuses)], [400], 'every duplicate-Host request got 400 from the proxy');
    assert.equal(statuses.length, REVIEW_REQUESTS);

    const { events } = await api<{ events: DeploymentEvent[] }>(`/v1/events?subject=${d.id}&limit=10000`);
    const verified = events.find((e) => e.kind === 'deployment.verified');
    assert.ok(verified, `verified: ${events.map((e) => e.kind).join(', ')}`);
    assert.equal(verifying.subject, d.id);
    assert.ok(Date.parse(verified.at) >= sentAllAt, 'all 210 requests landed inside the verification window');
    const report = verified.data.report as { decision: string; checks: { source: string; status: string }[] };
    assert.equal(report.decision, 'pass');
    assert.ok(!events.some((e) => e.kind === 'deployment.verification_failed'));
    assert.equal((await envStatus(repo, 'staging')).current?.release, 'v2', 'v2 serves');
  });
});
