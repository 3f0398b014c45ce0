// readRawBody against real sockets: an oversize body is answered 413 that the client can read
// while it is still sending (declared or chunked), a body within the limit arrives whole.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readRawBody, sendError, sendJson } from './http.js';

const LIMIT = 64 * 1024;

describe('readRawBody', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((req, res) => {
      readRawBody(req, LIMIT).then(
        (body) => sendJson(res, 200, { bytes: body.length }),
        (e: unknown) => sendError(res, e),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** Sends `size` bytes in 16 KiB writes (declared or chunked) and returns the status and body the client read. */
  const send = (size: number, declared: boolean): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = declared ? { 'content-length': String(size) } : { 'transfer-encoding': 'chunked' };
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      let left = size;
      const write = (): void => {
        while (left > 0) {
          const part = chunk.subarray(0, Math.min(chunk.length, left));
          left -= part.length;
          if (!req.write(part)) return void req.once('drain', write);
        }
        req.end();
      };
      write();
    });

  void test('given a body within the limit, then it arrives whole', async () => {
    const r = await send(LIMIT, true);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { bytes: LIMIT });
  });

  for (const declared of [true, false]) {
    void test(`given an oversize ${declared ? 'declared' : 'chunked'} body, then the client reads 413, not a reset connection`, async () => {
      const r = await send(LIMIT * 20, declared);
      assert.equal(r.status, 413);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'too_large');
    });
  }

  void test('given a declared length beyond what is drained, then 413 at once without reading it', async () => {
    const req = new Promise<number>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': String(64 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.on('error', reject);
      r.write(Buffer.alloc(1024)); // a little, then wait for the answer
    });
    assert.equal(await req, 413);
  });
});
