// The proxy's admin socket (`--admin-socket`, how a control plane reaches the proxy of another
// host, docs/containers.md): 0600, no token on it while the TCP admin port still wants one, the
// probe of an app on the proxy's loopback, its bad bodies refused, the file gone after a stop.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProxyClient } from '../../src/adapters/proxy/client.js';
import { runProxy } from '../../src/proxy/main.js';

const onSocket = (socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });

test('given a proxy with an admin socket, then the socket is 0600 and needs no token, the port still does, probes reach its loopback and bad probes are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slw-as-'));
  const socket = join(dir, 'admin.sock');
  const app = http.createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404);
    res.end();
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as AddressInfo).port;
  const proxy = await runProxy({ home: join(dir, 'home'), adminSocket: socket, log: () => undefined });
  try {
    assert.equal(statSync(socket).mode & 0o777, 0o600);
    assert.equal((await onSocket(socket, 'GET', '/v1/health')).status, 200);
    const viaPort = await fetch(`http://127.0.0.1:${proxy.adminPort}/v1/health`);
    assert.equal(viaPort.status, 401, 'the TCP admin port still wants the token');

    const client = new ProxyClient(join(dir, 'elsewhere'), { socket });
    assert.equal(await client.isAlive(), true);
    assert.deepEqual(await client.probe(appPort, '/healthz', 1000), { ok: true, status: 200 });
    assert.deepEqual(await client.probe(appPort, '/missing', 1000), { ok: false, kind: 'status', status: 404, message: 'answered 404' });
    const closed = await new Promise<number>((resolve) => {
      const s = http.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    assert.equal((await client.probe(closed, '/healthz', 1000)).ok, false);

    const bad: [unknown, RegExp][] = [
      [{ port: 0, path: '/healthz', timeoutMs: 100 }, /port must be a port number/],
      [{ port: 70000, path: '/healthz', timeoutMs: 100 }, /port must be a port number/],
      [{ port: appPort, path: 'healthz', timeoutMs: 100 }, /path must start with \//],
      [{ port: appPort, path: '/a b', timeoutMs: 100 }, /path must start with \//],
      [{ port: appPort, path: '/healthz', timeoutMs: 0 }, /timeoutMs must be/],
      [{ port: appPort, path: '/healthz', timeoutMs: 600_000 }, /timeoutMs must be/],
      ['probe', /port must be a port number/],
    ];
    for (const [body, why] of bad) {
      const r = await onSocket(socket, 'POST', '/v1/probe', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body, why);
    }
    assert.equal((await onSocket(socket, 'GET', '/v1/probe')).status, 405);
    await client.close();
  } finally {
    proxy.stop();
    await proxy.done;
    app.close();
  }
  assert.equal(existsSync(socket), false, 'a stopped proxy removes its admin socket');
  rmSync(dir, { recursive: true, force: true });
});
