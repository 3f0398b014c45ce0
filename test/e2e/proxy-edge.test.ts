// A stranger on the edge port: given the real proxy daemon in front of a real app, when clients send
// what the review sent (two Host headers, header values or targets the proxy cannot forward, a body
// broken off, several Connection headers, forged forwarding and probe headers), then each is
// answered 400 (or dropped) at the proxy, never reaches the app, and never counts as an error of the
// release that verification reads.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ProxyClient } from '../../src/adapters/proxy/client.js';
import { probeKeyOf, proxyFiles, type MetricsSnapshot } from '../../src/ports/proxy.js';
import { backend, fetchRaw, freePort, routes, startProxy, startUpstream, type Upstream } from './proxy-helpers.js';

let client: ProxyClient;
let home: string;
let cleanup: () => Promise<void>;
let app: Upstream;

before(async () => {
  ({ client, home, cleanup } = await startProxy());
  app = await startUpstream('app');
});
after(async () => {
  await cleanup();
  await app.close();
});

interface Echo {
  headers: Record<string, string>;
}

/**
 * Writes `text` on a fresh connection (then ends it, unless `keepOpen`) and resolves with what
 * came back before the proxy closed it: '' when it was dropped without an answer.
 */
function rawExchange(port: number, text: string, opts: { keepOpen?: boolean; destroyAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const deadline = setTimeout(() => socket.destroy(), 15_000);
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      // One whole answer with a length is enough: a keep-alive connection would wait for more.
      const end = data.indexOf('\r\n\r\n');
      const length = end < 0 ? -1 : Number(/content-length: *(\d+)/i.exec(data.slice(0, end))?.[1] ?? -1);
      if (length >= 0 && data.length >= end + 4 + length) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve(data);
    });
    socket.write(text, () => {
      if (opts.destroyAfterMs !== undefined) setTimeout(() => socket.destroy(), opts.destroyAfterMs);
      else if (!opts.keepOpen) socket.end();
    });
  });
}

const statusOf = (answer: string): number => (answer === '' ? 0 : Number(answer.slice(9, 12)));

/** The release's counts as verification reads them. */
const releaseOf = (snap: MetricsSnapshot, release: string) => snap.releases.find((r) => r.release === release);

const settle = async (port: number): Promise<void> => {
  // A request that went through after the bad ones: every earlier one has been accounted for.
  assert.equal((await fetchRaw(`http://127.0.0.1:${port}/after`)).status, 200);
};

void describe('malformed requests at the edge', () => {
  test('two Host headers: 400 at the proxy, never forwarded, not a request of the release', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('dup-host', routes(port, backend('v1', 1, [app])))).ok);
    const hitsBefore = app.hits;
    for (let i = 0; i < 20; i++) {
      const answer = await rawExchange(port, `GET /x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\n\r\n`);
      assert.equal(statusOf(answer), 400, answer);
      assert.match(answer, /two Host headers/);
    }
    assert.equal(app.hits, hitsBefore, 'the app saw none of them');
    await settle(port);
    const snap = await client.metricsSnapshot('dup-host');
    assert.equal(snap.rejected, 20);
    const v1 = releaseOf(snap, 'v1');
    assert.equal(v1?.requests.total, 1, 'only the good request counts for the release');
    assert.equal(v1?.errors, 0);
    assert.equal(v1?.upstreamErrors, 0);
    assert.match(await client.prometheusText(), /slipway_proxy_rejected_requests_total\{env="dup-host"\} 20/);
  });

  test('header values and targets the proxy cannot forward, and bodies broken off: 400 or dropped, never an error of the release', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('malformed', routes(port, backend('v1', 1, [app])))).ok);
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const cases: [string, string][] = [
      ['a control character in a value', `GET / HTTP/1.1\r\n${host}X-Bad: a\u0001b\r\n\r\n`],
      ['DEL in a value', `GET / HTTP/1.1\r\n${host}X-Bad: a\u007fb\r\n\r\n`],
      ['a NUL in a value', `GET / HTTP/1.1\r\n${host}X-Bad: a\u0000b\r\n\r\n`],
      ['an asterisk target', `GET * HTTP/1.1\r\n${host}\r\n`],
      ['an authority target', `GET 127.0.0.1:${port} HTTP/1.1\r\n${host}\r\n`],
      ['two Content-Length values', `POST / HTTP/1.1\r\n${host}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`],
      ['a bad chunk', `POST / HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n`],
    ];
    for (const [what, text] of cases) {
      const status = statusOf(await rawExchange(port, text));
      assert.ok(status === 400 || status === 0, `${what}: ${status}`);
    }
    // Bodies announced and broken off, sent and never finished.
    for (let i = 0; i < 10; i++) {
      await rawExchange(port, `POST /upload HTTP/1.1\r\n${host}Content-Length: 100000\r\n\r\n${'x'.repeat(1000)}`, { destroyAfterMs: 20 });
      await rawExchange(port, `POST /upload HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n400\r\n${'y'.repeat(1024)}\r\n`, { destroyAfterMs: 20 });
    }
    await settle(port);
    const v1 = releaseOf(await client.metricsSnapshot('malformed'), 'v1');
    assert.ok(v1);
    assert.equal(v1.requests['5xx'], 0, 'not one 5xx for the release');
    assert.equal(v1.upstreamErrors, 0);
    assert.ok(v1.samples.status.every((s) => s < 500 && s >= 100), `statuses: ${v1.samples.status.join(',')}`);
  });
});

void describe('headers a client cannot forge', () => {
  test("every Connection header's tokens are hop-by-hop, not only the last one's", async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('conn', routes(port, backend('v1', 1, [app])))).ok);
    const answer = await rawExchange(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: x-first\r\nConnection: x-second, close\r\nX-First: 1\r\nX-Second: 2\r\nX-Kept: 3\r\n\r\n`, { keepOpen: true });
    assert.equal(statusOf(answer), 200, answer);
    const echo = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Echo;
    assert.equal(echo.headers['x-first'], undefined);
    assert.equal(echo.headers['x-second'], undefined);
    assert.equal(echo.headers['x-kept'], '3');
  });

  test('edge mode replaces X-Forwarded-For and removes Forwarded and X-Real-IP; behind a proxy of yours they are kept', async () => {
    const forged = { 'x-forwarded-for': '203.0.113.7', forwarded: 'for=203.0.113.7', 'x-real-ip': '203.0.113.7' };
    const edgePort = await freePort();
    assert.ok((await client.setRoutes('edge-on', { ...routes(edgePort, backend('v1', 1, [app])), edge: true })).ok);
    const e = JSON.parse((await fetchRaw(`http://127.0.0.1:${edgePort}/`, { headers: forged })).body.toString()) as Echo;
    assert.equal(e.headers['x-forwarded-for'], '127.0.0.1', 'only the peer address');
    assert.equal(e.headers['forwarded'], undefined);
    assert.equal(e.headers['x-real-ip'], undefined);

    const innerPort = await freePort();
    assert.ok((await client.setRoutes('edge-off', routes(innerPort, backend('v1', 1, [app])))).ok, 'loopback: not edge by default');
    const i = JSON.parse((await fetchRaw(`http://127.0.0.1:${innerPort}/`, { headers: forged })).body.toString()) as Echo;
    assert.equal(i.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(i.headers['forwarded'], 'for=203.0.113.7');

    const status = (await client.getRoutes()).find((r) => r.env === 'edge-on');
    assert.equal(status?.edge, true);
    const bad = await client.setRoutes('edge-bad', { ...routes(await freePort(), backend('v1', 1, [app])), edge: 'yes' as unknown as boolean });
    assert.equal(bad.ok, false);
  });

  test('the probe header never reaches the app, with the right key or a forged one', async () => {
    const port = await freePort();
    const other = await startUpstream('other');
    try {
      assert.ok((await client.setRoutes('probe', routes(port, backend('v1', 1, [app]), backend('v2', 0, [other])))).ok);
      const key = probeKeyOf(fs.readFileSync(proxyFiles(home).token, 'utf8').trim());
      const pinned = await fetchRaw(`http://127.0.0.1:${port}/`, { headers: { 'x-slipway-probe': `v2;${key}` } });
      assert.equal(pinned.headers['x-upstream'], 'other', 'the right key pins the release at weight 0');
      assert.equal((JSON.parse(pinned.body.toString()) as Echo).headers['x-slipway-probe'], undefined);
      for (const forged of [`v2;${key.slice(0, -1)}x`, `v2;${key}x`, 'v2;', 'v2']) {
        const r = await fetchRaw(`http://127.0.0.1:${port}/`, { headers: { 'x-slipway-probe': forged } });
        assert.equal(r.headers['x-upstream'], 'app', forged);
        assert.equal((JSON.parse(r.body.toString()) as Echo).headers['x-slipway-probe'], undefined, forged);
      }
    } finally {
      await other.close();
    }
  });
});
