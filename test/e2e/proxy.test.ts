// The proxy's data plane, end to end: a real daemon on a temp home in front of real upstream apps.
// Given routes, when requests arrive, then they are streamed, split by weight, retried when that is
// safe, and counted per release in /metrics and the JSON snapshot.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Readable } from 'node:stream';
import http from 'node:http';
import type { ProxyClient } from '../../src/adapters/proxy/client.js';
import { backend, fetchRaw, freePort, routes, startProxy, startUpstream, type Upstream } from './proxy-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

let client: ProxyClient;
let cleanup: () => Promise<void>;
let a: Upstream;
let b: Upstream;
let c: Upstream;

before(async () => {
  ({ client, cleanup } = await startProxy());
  [a, b, c] = await Promise.all([startUpstream('a'), startUpstream('b'), startUpstream('c')]);
});
after(async () => {
  await cleanup();
  await Promise.all([a.close(), b.close(), c.close()]);
});

interface Echo {
  name: string;
  method: string;
  url: string;
  bytes: number;
  sha256: string;
  headers: Record<string, string>;
}

void describe('proxying', () => {
  void test('GET and POST reach the app with path, query, body and forwarding headers; hop-by-hop headers do not', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('basic', routes(port, backend('v1', 1, [a])))).ok);
    const get = await fetchRaw(`http://127.0.0.1:${port}/some/path?q=1&r=%20`, {
      headers: { 'x-custom': 'kept', 'x-forwarded-for': '10.0.0.1', 'keep-alive': 'timeout=99', connection: 'close, x-secret', 'x-secret': 'dropped' },
    });
    assert.equal(get.status, 200);
    const echo = JSON.parse(get.body.toString()) as Echo;
    assert.equal(echo.url, '/some/path?q=1&r=%20');
    assert.equal(echo.headers['x-custom'], 'kept');
    assert.equal(echo.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.equal(echo.headers['x-forwarded-host'], `127.0.0.1:${port}`);
    assert.equal(echo.headers['host'], `127.0.0.1:${port}`, 'the client Host is kept');
    assert.equal(echo.headers['x-secret'], undefined, 'a header named in Connection is hop-by-hop');
    assert.equal(echo.headers['keep-alive'], undefined);
    assert.equal(get.headers['x-upstream'], 'a', 'response headers come through');

    const body = randomBytes(100_000);
    const post = await fetchRaw(`http://127.0.0.1:${port}/submit`, { method: 'POST', body });
    const posted = JSON.parse(post.body.toString()) as Echo;
    assert.equal(posted.method, 'POST');
    assert.equal(posted.bytes, body.length);
    assert.equal(posted.sha256, createHash('sha256').update(body).digest('hex'));
  });

  void test('large bodies stream both ways, chunked uploads included', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('stream', routes(port, backend('v1', 1, [a])))).ok);
    // 24 MiB upload sent chunked (no content-length), echoed back by the app as it arrives.
    const chunk = randomBytes(256 * 1024);
    const sent = createHash('sha256');
    const reply = await new Promise<{ status: number; bytes: number; sha256: string }>((resolve, reject) => {
      const req = http.request(`http://127.0.0.1:${port}/echo`, { method: 'PUT', agent: false }, (res) => {
        const got = createHash('sha256');
        let bytes = 0;
        res.on('data', (d: Buffer) => {
          bytes += d.length;
          got.update(d);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, sha256: got.digest('hex') }));
      });
      req.on('error', reject);
      let n = 0;
      Readable.from(
        (function* () {
          while (n++ < 96) {
            sent.update(chunk);
            yield chunk;
          }
        })(),
      ).pipe(req);
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.bytes, 96 * chunk.length);
    assert.equal(reply.sha256, sent.digest('hex'));
    // 32 MiB download.
    const big = await fetchRaw(`http://127.0.0.1:${port}/big?mb=32`);
    assert.equal(big.status, 200);
    assert.equal(big.body.length, 32 * 1024 * 1024);
  });

  void test('HEAD gets the headers and no body', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('head', routes(port, backend('v1', 1, [a])))).ok);
    const r = await fetchRaw(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-upstream'], 'a');
    assert.ok(Number(r.headers['content-length']) > 0);
    assert.equal(r.body.length, 0);
  });

  void test('a client that gives up frees its request at once and is counted as 499', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('abort', routes(port, backend('v1', 1, [a])))).ok);
    const req = http.get(`http://127.0.0.1:${port}/slow?ms=5000`, { agent: false });
    req.on('error', () => undefined);
    await waitFor(async () => (await client.inflight('abort', 'v1')) === 1, { what: 'the request to be in flight' });
    req.destroy();
    await waitFor(async () => (await client.inflight('abort', 'v1')) === 0, { what: 'the request to be released', timeout: 2000 });
    const v1 = (await client.metricsSnapshot('abort')).releases.find((r) => r.release === 'v1')!;
    assert.deepEqual(v1.samples.status, [499]);
    assert.equal(v1.requests['4xx'], 1);
  });

  void test('an upstream that breaks off mid-answer cuts the client answer short too (never a silent truncation)', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('cut', routes(port, backend('v1', 1, [a])))).ok);
    const outcome = await new Promise<string>((resolve) => {
      http
        .get(`http://127.0.0.1:${port}/truncate`, { agent: false }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve('complete'));
          res.on('error', () => resolve('aborted'));
          res.on('close', () => resolve(res.complete ? 'complete' : 'aborted'));
        })
        .on('error', () => resolve('aborted'));
    });
    assert.equal(outcome, 'aborted');
    const v1 = (await client.metricsSnapshot('cut')).releases.find((r) => r.release === 'v1')!;
    assert.equal(v1.upstreamErrors, 1);
    assert.equal(v1.requests['5xx'], 1, 'recorded as a failure');
  });

  void test('weights are respected over many requests', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('canary', routes(port, backend('v1', 0.8, [a]), backend('v2', 0.2, [b])))).ok);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const n = 2000;
    const counts = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < n / 8; i++) {
          const who = await new Promise<string>((resolve, reject) => {
            http
              .get(`http://127.0.0.1:${port}/`, { agent }, (res) => {
                res.resume();
                res.on('end', () => resolve(String(res.headers['x-upstream'])));
              })
              .on('error', reject);
          });
          counts.set(who, (counts.get(who) ?? 0) + 1);
        }
      }),
    );
    agent.destroy();
    const share = (counts.get('b') ?? 0) / n;
    // Binomial(2000, 0.2): standard deviation ≈ 0.009; 0.05 is more than five of them.
    assert.ok(Math.abs(share - 0.2) < 0.05, `v2 got ${share} of requests, expected ≈ 0.2`);
    assert.equal((counts.get('a') ?? 0) + (counts.get('b') ?? 0), n);
    const snap = await client.metricsSnapshot('canary');
    const byRelease = Object.fromEntries(snap.releases.map((r) => [r.release, r.requests.total]));
    assert.deepEqual(byRelease, { v1: counts.get('a'), v2: counts.get('b') });
  });

  void test('no backend → 503 with a clear body; a release at weight 0 is kept warm but not chosen', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('empty', routes(port))).ok);
    const r = await fetchRaw(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 503);
    assert.match(r.body.toString(), /no release is routed to environment "empty"/);
    assert.equal((await client.metricsSnapshot('empty')).unrouted, 1);

    assert.ok((await client.setRoutes('empty', routes(port, backend('v1', 0, [a]), backend('v2', 1, [b])))).ok);
    for (let i = 0; i < 20; i++) assert.equal((await fetchRaw(`http://127.0.0.1:${port}/`)).headers['x-upstream'], 'b');
  });

  void test('a dead instance is retried on another; when all are dead the answer is 502 and counted', async () => {
    const dead = await startUpstream('dead');
    await dead.close(); // its port now refuses connections
    const port = await freePort();
    assert.ok((await client.setRoutes('retry', routes(port, backend('v1', 1, [dead, c])))).ok);
    for (let i = 0; i < 10; i++) {
      const r = await fetchRaw(`http://127.0.0.1:${port}/x`, { method: 'POST', body: 'payload' });
      assert.equal(r.status, 200, 'connection refused is retried on the live instance, even for a POST');
      assert.equal(r.headers['x-upstream'], 'c');
    }
    assert.ok((await client.setRoutes('retry', routes(port, backend('v1', 1, [dead])))).ok);
    const r = await fetchRaw(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 502);
    assert.match(r.body.toString(), /upstream dead-0 of release v1 failed \(ECONNREFUSED\)/);
    const snap = await client.metricsSnapshot('retry');
    const v1 = snap.releases.find((x) => x.release === 'v1')!;
    assert.equal(v1.upstreamErrors, 1);
    assert.equal(v1.requests['5xx'], 1);
    assert.equal(v1.requests['2xx'], 10);
  });
});

void describe('metrics', () => {
  void test('GET /metrics is valid Prometheus text whose per-release counts match the requests sent', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('metered', routes(port, backend('v1', 0.5, [a]), backend('v2', 0.5, [b])))).ok);
    const sent = { a: 0, b: 0, fail: 0 };
    for (let i = 0; i < 60; i++) {
      const r = await fetchRaw(`http://127.0.0.1:${port}/${i % 10 === 0 ? 'fail' : 'ok'}`);
      if (r.status === 500) sent.fail++;
      else sent[r.headers['x-upstream'] === 'a' ? 'a' : 'b']++;
    }
    const text = await client.prometheusText();
    const samples = parsePrometheus(text);
    const value = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((t, s) => t + s.value, 0);
    assert.equal(value('slipway_proxy_requests_total', { env: 'metered', release: 'v1', code: '2xx' }), sent.a);
    assert.equal(value('slipway_proxy_requests_total', { env: 'metered', release: 'v2', code: '2xx' }), sent.b);
    assert.equal(value('slipway_proxy_requests_total', { env: 'metered', code: '5xx' }), sent.fail);
    for (const release of ['v1', 'v2']) {
      const count = value('slipway_proxy_request_duration_seconds_count', { env: 'metered', release });
      assert.equal(value('slipway_proxy_request_duration_seconds_bucket', { env: 'metered', release, le: '+Inf' }), count);
      assert.ok(value('slipway_proxy_request_duration_seconds_sum', { env: 'metered', release }) > 0);
      assert.equal(value('slipway_proxy_inflight_requests', { env: 'metered', release }), 0);
    }
    assert.equal(value('slipway_proxy_request_duration_seconds_count', { env: 'metered' }), 60);

    // The JSON snapshot: raw samples, cut by `since`.
    const snap = await client.metricsSnapshot('metered');
    const all = snap.releases.flatMap((r) => r.samples.t);
    assert.equal(all.length, 60);
    const v1 = snap.releases.find((r) => r.release === 'v1')!;
    assert.equal(v1.samples.ms.length, v1.requests.total);
    assert.ok(v1.samples.ms.every((ms) => ms > 0));
    // Milliseconds, the same durations /metrics sums in seconds (no bound on how long they took).
    const summed = v1.samples.ms.reduce((t, ms) => t + ms, 0);
    const exported = value('slipway_proxy_request_duration_seconds_sum', { env: 'metered', release: 'v1' }) * 1000;
    assert.ok(Math.abs(summed - exported) <= exported * 0.01 + 0.1, `samples sum to ${summed} ms, /metrics says ${exported} ms`);
    const later = await client.metricsSnapshot('metered', snap.now + 1);
    assert.equal(later.releases.flatMap((r) => r.samples.t).length, 0);
  });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the text format: every line is a comment of a known kind or a valid sample. */
function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  const typed = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram'].includes(meta[3]!), line);
        assert.ok(!typed.has(meta[2]!), `TYPE given twice: ${line}`);
        typed.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\} (\S+)$/.exec(line);
    assert.ok(m, `not a valid sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value), line);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(m[1]!) || typed.get(family) === 'histogram', `sample before its TYPE: ${line}`);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}
