import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { freePort, isPortFree } from './ports.js';
import { isDefiniteRejection, probeOnce, waitHealthy } from './health.js';

/** A server answering `status` on every path, with keep-alive off, closed by the caller. */
function serve(status: number, port = 0, delayMs = 0): Promise<Server> {
  const server = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(status);
      res.end('x');
    }, delayMs);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
const portOf = (s: Server): number => (s.address() as AddressInfo).port;
const close = (s: Server): Promise<void> => new Promise((r) => {
  s.closeAllConnections();
  s.close(() => r());
});

void describe('health probes', () => {
  void test('2xx is healthy; other statuses, refusals and silence are not, each said plainly', async () => {
    const ok = await serve(204);
    const bad = await serve(503);
    const slow = await serve(200, 0, 300);
    const nobody = await freePort();
    try {
      assert.deepEqual(await probeOnce(portOf(ok), '/healthz', 500), { ok: true, status: 204 });
      assert.deepEqual(await probeOnce(portOf(bad), '/healthz', 500), { ok: false, kind: 'status', status: 503, message: 'answered 503' });
      assert.deepEqual(await probeOnce(nobody, '/healthz', 500), { ok: false, kind: 'refused', message: 'connection refused' });
      assert.deepEqual(await probeOnce(portOf(slow), '/healthz', 50), { ok: false, kind: 'timeout', message: 'no answer within 50 ms' });
    } finally {
      await Promise.all([close(ok), close(bad), close(slow)]);
    }
  });

  void test('waitHealthy notices an app that starts listening later, after several probes', async () => {
    const port = await freePort();
    let server: Server | null = null;
    const later = setTimeout(() => void serve(200, port).then((s) => (server = s)), 100);
    try {
      const r = await waitHealthy({ port, path: '/', intervalMs: 20, timeoutMs: 200, deadlineMs: 5000 });
      assert.ok(r.ok);
      assert.ok(r.probes > 1);
      assert.ok(r.afterMs > 0);
    } finally {
      clearTimeout(later);
      const s = server as Server | null;
      if (s !== null) await close(s);
    }
  });

  void test('waitHealthy: an abort wins over waiting, and a deadline ends with the last probe', async () => {
    const port = await freePort();
    let calls = 0;
    const aborted = await waitHealthy({ port, path: '/', intervalMs: 10, timeoutMs: 100, deadlineMs: 5000, abort: () => (++calls > 3 ? 'the app exited' : null) });
    assert.deepEqual(aborted.ok ? null : [aborted.reason, aborted.message, aborted.last?.ok === false && aborted.last.kind], ['aborted', 'the app exited', 'refused']);

    const bad = await serve(500);
    try {
      const timedOut = await waitHealthy({ port: portOf(bad), path: '/', intervalMs: 10, timeoutMs: 100, deadlineMs: 100 });
      assert.ok(!timedOut.ok);
      assert.equal(timedOut.reason, 'timeout');
      assert.equal(timedOut.message, 'answered 500');
    } finally {
      await close(bad);
    }
  });

  void test('a definite 4xx, answered again and again, ends the wait as rejected long before its deadline', async () => {
    const missing = await serve(404);
    try {
      const r = await waitHealthy({ port: portOf(missing), path: '/healthz', intervalMs: 50, timeoutMs: 200, deadlineMs: 120_000, rejectAfter: { answers: 3, ms: 200 } });
      assert.deepEqual(r.ok ? null : [r.reason, r.message], ['rejected', 'GET /healthz answered 404']);
      assert.ok(!r.ok && r.probes >= 3, 'more than one answer');
    } finally {
      await close(missing);
    }
    assert.deepEqual([400, 401, 403, 404, 405, 410, 418].map(isDefiniteRejection), [true, true, true, true, true, true, true]);
    assert.deepEqual([200, 301, 408, 429, 500, 503].map(isDefiniteRejection), [false, false, false, false, false, false]);
  });

  void test('429 and 408 mean "later": they wait for the deadline; a 404 that turns into 200 is healthy', async () => {
    const busy = await serve(429);
    let calls = 0;
    const settling = createServer((_req, res) => {
      res.writeHead(++calls <= 2 ? 404 : 200);
      res.end();
    });
    await new Promise<void>((resolve) => settling.listen(0, '127.0.0.1', resolve));
    try {
      const r = await waitHealthy({ port: portOf(busy), path: '/healthz', intervalMs: 20, timeoutMs: 200, deadlineMs: 400, rejectAfter: { answers: 2, ms: 0 } });
      assert.deepEqual(r.ok ? null : [r.reason, r.message], ['timeout', 'answered 429']);
      const ok = await waitHealthy({ port: portOf(settling), path: '/healthz', intervalMs: 20, timeoutMs: 200, deadlineMs: 120_000, rejectAfter: { answers: 3, ms: 0 } });
      assert.ok(ok.ok);
      assert.equal(ok.probes, 3);
    } finally {
      await Promise.all([close(busy), close(settling)]);
    }
  });

  void test('isPortFree tells a taken port from a free one', async () => {
    const s = await serve(200);
    try {
      assert.equal(await isPortFree(portOf(s)), false);
    } finally {
      await close(s);
    }
    assert.equal(await isPortFree(await freePort()), true);
  });
});
