// The notifier against a real HTTP receiver on 127.0.0.1: signed bodies, retries with backoff when
// the receiver fails, no retry when it refuses, never blocking the caller, events filtered.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNotifier, verifySignature, type DeploymentNotice } from './index.js';
import type { Deployment } from '../../core/deployment/types.js';
import { waitFor } from '../../test-support/wait.js';

const SECRET = 'n0tify-k3y';
const FAST = { attempts: 5, baseDelayMs: 5 };

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The receiver: answers `plan` statuses in turn (then 200); `hold` keeps answers back until released. */
let server: http.Server;
let url = '';
let received: Received[] = [];
let plan: number[] = [];
let held: Array<() => void> | undefined;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = () => res.writeHead(plan.shift() ?? 200).end('ok');
      if (held) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  plan = [];
  held = undefined;
});

const deployment: Deployment = {
  id: 'd-42',
  env: 'production',
  release: 7,
  digest: 'sha256:abc',
  commit: 'f00d',
  author: 'ada',
  trigger: 'deploy',
  actor: 'ada',
  strategy: 'canary',
  phase: 'rolled_back',
  previousRelease: 6,
  startedAt: '2030-01-01T12:00:00.000Z',
  finishedAt: '2030-01-01T12:00:03.000Z',
  reason: 'error_rate < 1% breached',
  rolledBackTo: 6,
  forced: false,
};
const notice: DeploymentNotice = {
  event: 'rolled_back',
  app: 'hello',
  deployment,
  evidence: {
    elapsedMs: 2000,
    windowMs: 30_000,
    windowsUsed: 1,
    maxWindows: 3,
    requests: 20,
    minSamples: 20,
    decision: 'fail',
    summary: 'failed: error_rate < 1% breached: 20 of 20 requests failed',
    checks: [
      { id: 'checks[0]', source: 'error_rate < 1%', status: 'fail', observed: 1, threshold: 0.01, unit: 'fraction', samples: 20, pValue: 1e-9, failures: 2, consecutiveErrors: 0, firstBadAt: Date.UTC(2030, 0, 1, 12, 0, 1), message: 'breached' },
    ],
  },
};

describe('createNotifier', () => {
  test('retries a failing receiver with backoff, with the same delivery id, each body signed', async () => {
    plan = [503, 502, 500];
    const n = createNotifier({ targets: [{ url, events: ['rolled_back'], secretEnv: 'HOOK_KEY' }], resolveSecret: (k) => (k === 'HOOK_KEY' ? SECRET : undefined), retry: FAST, now: () => Date.UTC(2030, 0, 1, 12, 0, 4) });
    n.notify(notice);
    const [result] = await n.drain();
    assert.deepEqual([result?.ok, result?.attempts, result?.status], [true, 4, 200]);
    assert.equal(received.length, 4);
    assert.equal(new Set(received.map((r) => r.headers['x-slipway-delivery'])).size, 1);
    for (const r of received) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['x-slipway-event'], 'rolled_back');
      assert.ok(verifySignature(SECRET, r.body, String(r.headers['x-slipway-signature'])), 'signature of the exact body');
      assert.ok(!verifySignature('other', r.body, String(r.headers['x-slipway-signature'])));
    }
    const body = JSON.parse(received[0]?.body ?? '{}') as Record<string, Record<string, unknown>>;
    assert.equal(body.sent_at, '2030-01-01T12:00:04.000Z');
    assert.deepEqual(
      [body.deployment?.id, body.deployment?.release, body.deployment?.status, body.deployment?.reason, body.deployment?.rolled_back_to],
      ['d-42', 7, 'rolled_back', 'error_rate < 1% breached', 6],
    );
    assert.equal(body.evidence?.summary, 'failed: error_rate < 1% breached: 20 of 20 requests failed');
    assert.deepEqual((body.evidence?.checks as Array<Record<string, unknown>>)[0]?.first_bad_at, '2030-01-01T12:00:01.000Z');
  });

  test('gives up after the last attempt, with the last answer', async () => {
    plan = [503, 503, 503, 503, 503, 503];
    const results: unknown[] = [];
    const n = createNotifier({ targets: [{ url, events: ['rolled_back'] }], resolveSecret: () => undefined, retry: FAST, onResult: (r) => results.push(r) });
    n.notify(notice);
    const [r] = await n.drain();
    assert.deepEqual([r?.ok, r?.attempts, r?.status, r?.error], [false, 5, 503, 'answered HTTP 503, after 5 attempts']);
    assert.equal(received.length, 5);
    assert.equal(results.length, 1, 'onResult sees every finished delivery');
    assert.equal(received[0]?.headers['x-slipway-signature'], undefined, 'no secret_env: unsigned');
  });

  test('a refusal (4xx) is not retried', async () => {
    plan = [401];
    const n = createNotifier({ targets: [{ url, events: ['rolled_back'] }], resolveSecret: () => undefined, retry: FAST });
    n.notify(notice);
    const [r] = await n.drain();
    assert.deepEqual([r?.ok, r?.attempts, r?.error], [false, 1, 'answered HTTP 401']);
  });

  test('an unreachable receiver is retried, then reported', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const n = createNotifier({ targets: [{ url: `http://127.0.0.1:${port}/`, events: ['failed'] }], resolveSecret: () => undefined, retry: { attempts: 3, baseDelayMs: 5 } });
    n.notify({ ...notice, event: 'failed' });
    const [r] = await n.drain();
    assert.deepEqual([r?.ok, r?.attempts, r?.error], [false, 3, 'unreachable: ECONNREFUSED, after 3 attempts']);
  });

  test('notify returns before the receiver has answered: a slow receiver never blocks the caller', async () => {
    held = [];
    const n = createNotifier({ targets: [{ url, events: ['succeeded'] }], resolveSecret: () => undefined, retry: FAST });
    const returned = n.notify({ ...notice, event: 'succeeded' });
    assert.equal(returned, undefined);
    assert.equal(n.pending(), 1);
    await waitFor(() => held !== undefined && held.length > 0, { what: 'the receiver to hold the request', interval: 5 });
    assert.equal(n.pending(), 1, 'still waiting for the answer');
    held.splice(0).forEach((release) => release());
    held = undefined;
    const [r] = await n.drain();
    assert.equal(r?.ok, true);
    assert.equal(n.pending(), 0);
  });

  test('only targets subscribed to the event are sent to', async () => {
    const n = createNotifier({
      targets: [
        { url: `${url}?a`, events: ['succeeded'] },
        { url: `${url}?b`, events: ['failed', 'rolled_back'] },
      ],
      resolveSecret: () => undefined,
      retry: FAST,
    });
    n.notify(notice);
    const results = await n.drain();
    assert.deepEqual(results.map((r) => r.url), [`${url}?b`]);
  });

  test('a secret_env that is not set sends nothing unsigned', async () => {
    const n = createNotifier({ targets: [{ url, events: ['rolled_back'], secretEnv: 'MISSING_KEY' }], resolveSecret: () => undefined, retry: FAST });
    n.notify(notice);
    const [r] = await n.drain();
    assert.deepEqual([r?.ok, r?.attempts], [false, 0]);
    assert.match(r?.error ?? '', /MISSING_KEY .*not set on the server; nothing sent unsigned/);
    assert.equal(received.length, 0);
  });

  // The timeouts guard against a hang (the hour-long backoff), not a speed: close must not wait it.
  test('close abandons waiting retries and drops later notices', { timeout: 60_000 }, async () => {
    plan = [503, 503, 503, 503, 503];
    const n = createNotifier({ targets: [{ url, events: ['rolled_back'] }], resolveSecret: () => undefined, retry: { attempts: 5, baseDelayMs: 3_600_000 } });
    n.notify(notice);
    await waitFor(() => received.length > 0, { what: 'the first attempt to arrive', interval: 5 });
    await n.close();
    n.notify(notice);
    const results = await n.drain();
    assert.equal(received.length, 1, 'no retry after close');
    assert.match(results[0]?.error ?? '', /answered HTTP 503; abandoned at shutdown/);
    assert.match(results[1]?.error ?? '', /dropped: the notifier is closed/);
  });

  test('close during an attempt in flight abandons the retry its failure would have waited for', { timeout: 60_000 }, async () => {
    plan = [503, 503];
    held = [];
    const n = createNotifier({ targets: [{ url, events: ['rolled_back'] }], resolveSecret: () => undefined, retry: { attempts: 5, baseDelayMs: 3_600_000 } });
    n.notify(notice);
    await waitFor(() => held !== undefined && held.length > 0, { what: 'the first attempt to be held by the receiver', interval: 5 });
    const closed = n.close();
    // Only now does the first attempt get its 503: its retry would wait an hour.
    held.splice(0).forEach((release) => release());
    held = undefined;
    await closed;
    const results = await n.drain();
    assert.equal(received.length, 1, 'no retry after close');
    assert.match(results[0]?.error ?? '', /answered HTTP 503; abandoned at shutdown/);
  });
});
