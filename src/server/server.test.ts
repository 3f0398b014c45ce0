// The control plane's HTTP front: given a server with a few routes, a hook and git's smart HTTP,
// when requests come without the token, with a malformed path or to a hook, then authentication
// comes before route matching, body reading and git work, and each refusal has a stable code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnGitService } from '../adapters/vcs/git/http-backend.js';
import { Router } from './http.js';
import { startApiServer, type ApiServer } from './server.js';

const TOKEN = 't'.repeat(43);

interface Answer {
  status: number;
  body: string;
}

/** One raw HTTP/1.1 exchange: what a hostile client can send, byte for byte. */
const raw = (port: number, head: string, body = ''): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(data.slice(0, end))?.[1] ?? -1);
      if (length >= 0 && data.length >= end + 4 + length) {
        socket.destroy();
        resolve({ status: Number(data.slice(9, 12)), body: data.slice(end + 4, end + 4 + length) });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without a whole answer: ${JSON.stringify(data.slice(0, 200))}`)));
    socket.write(`${head.split('\n').join('\r\n')}\r\n\r\n${body}`);
  });

const codeOf = (a: Answer): string | undefined => (JSON.parse(a.body) as { error?: { code?: string } }).error?.code;

describe('the API server authenticates before anything else', () => {
  let api: ApiServer;
  const seen = { handler: 0, hook: 0, repository: 0 };
  before(async () => {
    const r = new Router();
    r.on('GET', '/v1/runs/:id', (req) => {
      seen.handler++;
      return Promise.resolve({ id: req.params.id });
    });
    r.on('POST', '/v1/runs', async (req) => {
      seen.handler++;
      return { body: await req.body() };
    });
    r.hook('POST', '/v1/hooks/test', () => {
      seen.hook++;
      return Promise.resolve({ hooked: true });
    });
    api = await startApiServer(r, TOKEN, '127.0.0.1', 0, {
      token: TOKEN,
      gitService: spawnGitService,
      repository: () => {
        seen.repository++;
        return Promise.resolve({ path: '/nonexistent', app: 'app' });
      },
    });
  });
  after(() => api.close());

  test('without the token, every path gets the same 401 with code "unauthorized", and no handler runs', async () => {
    for (const path of ['/v1/runs/r1', '/v1/nothing-here', '/v1/%E0%A4%A', '/v1/runs/%E0%A4%A', '/']) {
      const a = await raw(api.port, `GET ${path} HTTP/1.1\nHost: x`);
      assert.equal(a.status, 401, path);
      assert.equal(codeOf(a), 'unauthorized', path);
    }
    const wrong = await raw(api.port, `GET /v1/runs/r1 HTTP/1.1\nHost: x\nAuthorization: Bearer ${TOKEN}x`);
    assert.equal(wrong.status, 401);
    assert.equal(seen.handler, 0);
  });

  test('a request without the token has its body left unread: the 401 comes before the body is sent', async () => {
    // 50 MB are announced and none is sent: an answer proves nothing waited for the body.
    const a = await raw(api.port, 'POST /v1/runs HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 50000000');
    assert.equal(a.status, 401);
    assert.equal(codeOf(a), 'unauthorized');
    assert.equal(seen.handler, 0);
  });

  test('a malformed percent-encoding is 400 with the token (not 500), 401 without', async () => {
    const a = await raw(api.port, `GET /v1/runs/%E0%A4%A HTTP/1.1\nHost: x\nAuthorization: Bearer ${TOKEN}`);
    assert.equal(a.status, 400, a.body);
    assert.equal(codeOf(a), 'usage');
    assert.match(a.body, /not valid percent-encoding/);
    const ok = await raw(api.port, `GET /v1/runs/r%201 HTTP/1.1\nHost: x\nAuthorization: Bearer ${TOKEN}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { id: 'r 1' });
    const unknown = await raw(api.port, `GET /v1/nothing HTTP/1.1\nHost: x\nAuthorization: Bearer ${TOKEN}`);
    assert.equal(unknown.status, 404);
    assert.equal(codeOf(unknown), 'not_found');
  });

  test('a hook is reached without the API token only at its exact method and path', async () => {
    const a = await raw(api.port, 'POST /v1/hooks/test HTTP/1.1\nHost: x\nContent-Length: 0');
    assert.equal(a.status, 200);
    assert.equal(seen.hook, 1);
    for (const head of ['GET /v1/hooks/test HTTP/1.1', 'POST /v1/hooks/%74est HTTP/1.1', 'POST /v1/hooks/test/ HTTP/1.1', 'POST /v1/Hooks/test HTTP/1.1']) {
      const r = await raw(api.port, `${head}\nHost: x\nContent-Length: 0`);
      assert.equal(r.status, 401, head);
    }
    assert.equal(seen.hook, 1);
  });

  test("git's smart HTTP: without the token, 401 with code \"unauthorized\" and no repository is touched", async () => {
    for (const head of ['GET /git/app.git/info/refs?service=git-upload-pack HTTP/1.1', 'POST /git/app.git/git-receive-pack HTTP/1.1\nContent-Length: 50000000', 'GET /git/%E0%A4%A HTTP/1.1']) {
      const a = await raw(api.port, `${head}\nHost: x`);
      assert.equal(a.status, 401, head);
      assert.equal(codeOf(a), 'unauthorized', head);
    }
    assert.equal(seen.repository, 0);
  });
});
