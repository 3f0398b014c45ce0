// Slow and greedy clients of a proxy listener: given its limits, a client that never finishes its
// request head is answered 408 and cut off, and connections beyond the cap are closed at once
// while the ones within it keep being served.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import net from 'node:net';
import { waitFor } from '../test-support/wait.js';
import { LISTENER_LIMITS, createListener, listenOn, type ListenerLimits } from './listener.js';

const servers: http.Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

const start = async (limits: ListenerLimits): Promise<{ server: http.Server; port: number }> => {
  const server = createListener((_req, res) => {
    res.writeHead(200, { 'content-length': '2' });
    res.end('ok');
  }, limits);
  servers.push(server);
  const r = await listenOn(server, 0, '127.0.0.1');
  assert.ok(r.ok);
  return { server, port: (server.address() as net.AddressInfo).port };
};

/** Connects and resolves with everything received until the server closes the connection (or 10 s pass). */
const until = (socket: net.Socket): Promise<string> =>
  new Promise((resolve) => {
    let data = '';
    const deadline = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve(data);
    });
  });

const connect = (port: number): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });

describe('listener limits', () => {
  test('the proxy’s listeners give a client 10 s for its request head, a request timeout and a connection cap', () => {
    assert.deepEqual(LISTENER_LIMITS, { headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, maxConnections: 4096, checkIntervalMs: 1000 });
    const server = createListener(() => undefined);
    assert.equal(server.headersTimeout, 10_000);
    assert.equal(server.requestTimeout, 120_000);
    assert.equal(server.maxConnections, 4096);
  });

  test('a request head that never ends is answered 408 and the connection closed', async () => {
    const { port } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600, maxConnections: 100, checkIntervalMs: 50 });
    const socket = await connect(port);
    const received = until(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '); // and nothing more
    const answer = await received;
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  test('connections beyond the cap are closed at once; those within it are served', async () => {
    const { server, port } = await start({ headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, maxConnections: 2, checkIntervalMs: 1000 });
    const held = [await connect(port), await connect(port)];
    await waitFor(async () => (await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))) >= 2, { what: 'the two connections to be accepted' });
    const third = await connect(port);
    const dropped = until(third);
    third.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(await dropped, '', 'closed without an answer');
    const first = held[0]!;
    const answer = new Promise<string>((resolve) => first.once('data', (c: Buffer) => resolve(c.toString('latin1'))));
    first.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(await answer, /^HTTP\/1\.1 200 /);
    for (const s of held) s.destroy();
  });
});
