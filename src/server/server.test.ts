// The control plane's HTTP front: given a server with a few routes, a hook and git's smart HTTP,
// when requests come without the token, with a malformed path or to a hook, then authentication
// comes before route matching, body reading and git work, and each refusal has a stable code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnGitService } from '../adapters/vcs/git/http-backend.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiToken, type Role } from '../core/auth/tokens.js';
import { openSqliteStore } from '../adapters/store/sqlite/store.js';
import { openTokenStore } from '../adapters/store/sqlite/tokens.js';
import { createAuthenticator } from './auth.js';
import { Router } from './http.js';
import { startApiServer, type ApiServer } from './server.js';

const TOKEN = 't'.repeat(43);
/** Named tokens of each role (and a revoked and an expired one), in a real token store. */
const NAMED: Record<string, string> = {
  reader: `slw_${'r'.repeat(43)}`,
  deployer: `slw_${'d'.repeat(43)}`,
  admin: `slw_${'a'.repeat(43)}`,
  revoked: `slw_${'v'.repeat(43)}`,
  expired: `slw_${'e'.repeat(43)}`,
};

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

const messageOf = (a: Answer): string => (JSON.parse(a.body) as { error?: { message?: string } }).error?.message ?? '';
const codeOf = (a: Answer): string | undefined => (JSON.parse(a.body) as { error?: { code?: string } }).error?.code;

describe('the API server authenticates before anything else', () => {
  let api: ApiServer;
  const seen = { handler: 0, hook: 0, repository: 0 };
  let dir: string;
  let closeTokens: () => void = () => undefined;
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
    r.on('POST', '/v1/secrets-ish', () => {
      seen.handler++;
      return Promise.resolve({ admin: true });
    }, 'admin');
    dir = mkdtempSync(join(tmpdir(), 'slipway-api-auth-'));
    await openSqliteStore(join(dir, 'db')).close();
    const tokens = openTokenStore(join(dir, 'db'));
    closeTokens = () => tokens.close();
    const roles: Record<string, Role> = { reader: 'read', deployer: 'deploy', admin: 'admin', revoked: 'deploy', expired: 'deploy' };
    for (const [name, value] of Object.entries(NAMED)) {
      const expiresAt = name === 'expired' ? '2020-01-01T00:00:00.000Z' : undefined;
      assert.ok(await tokens.create({ name, role: roles[name] ?? 'read', createdAt: '2020-01-01T00:00:00.000Z', createdBy: 'test', ...(expiresAt ? { expiresAt } : {}) }, hashApiToken(value)));
    }
    assert.ok(await tokens.revoke('revoked', '2020-01-02T00:00:00.000Z'));
    assert.equal(await tokens.create({ name: 'reader', role: 'admin', createdAt: 'x', createdBy: 'test' }, hashApiToken('other')), false, 'a name is never reused');
    const authenticate = createAuthenticator({ homeToken: TOKEN, owner: 'owner', tokens });
    api = await startApiServer(r, authenticate, '127.0.0.1', 0, {
      authenticate,
      gitService: spawnGitService,
      repository: () => {
        seen.repository++;
        return Promise.resolve({ path: '/nonexistent', app: 'app' });
      },
    });
  });
  after(async () => {
    await api.close();
    closeTokens();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (token: string, method: string, path: string): Promise<Answer> => raw(api.port, `${method} ${path} HTTP/1.1\nHost: x\nAuthorization: Bearer ${token}\nContent-Length: 2`, '{}');

  test('without the token, every path gets the same 401 with code "unauthorized", and no handler runs', async () => {
    for (const path of ['/v1/runs/r1', '/v1/nothing-here', '/v1/%E0%A4%A', '/v1/runs/%E0%A4%A', '/nothing-here', '/index.html/../v1/runs/r1']) {
      const a = await raw(api.port, `GET ${path} HTTP/1.1\nHost: x`);
      assert.equal(a.status, 401, path);
      assert.equal(codeOf(a), 'unauthorized', path);
    }
    // The dashboard's page is the one thing served without a token (routes-web.ts): it holds no
    // data and asks for a token itself (`npm run build` writes it before the tests run).
    for (const path of ['/', '/index.html']) {
      const page = await raw(api.port, `GET ${path} HTTP/1.1\nHost: x`);
      assert.equal(page.status, 200, path);
      assert.match(page.body, /^<!doctype html>/i, path);
    }
    assert.equal(seen.repository, 0, 'no handler ran');
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

  test('each role reaches the routes its role allows, and gets 403 "forbidden" before any handler runs on the others', async () => {
    const cases: [string, string, string, number][] = [
      ['reader', 'GET', '/v1/runs/r1', 200],
      ['reader', 'POST', '/v1/runs', 403],
      ['reader', 'POST', '/v1/secrets-ish', 403],
      ['deployer', 'GET', '/v1/runs/r1', 200],
      ['deployer', 'POST', '/v1/runs', 200],
      ['deployer', 'POST', '/v1/secrets-ish', 403],
      ['admin', 'POST', '/v1/runs', 200],
      ['admin', 'POST', '/v1/secrets-ish', 200],
    ];
    for (const [name, method, path, status] of cases) {
      const before = seen.handler;
      const a = await as(NAMED[name] ?? '', method, path);
      assert.equal(a.status, status, `${name} ${method} ${path}: ${a.body}`);
      if (status === 403) {
        assert.equal(codeOf(a), 'forbidden');
        assert.match(messageOf(a), new RegExp(`the token "${name}" has`));
        assert.equal(seen.handler, before, 'no handler ran');
      }
    }
    // The home's own token is admin.
    assert.equal((await as(TOKEN, 'POST', '/v1/secrets-ish')).status, 200);
  });

  test('a revoked, an expired, an unknown or a malformed named token is 401, saying which when it is known', async () => {
    const revoked = await as(NAMED.revoked ?? '', 'GET', '/v1/runs/r1');
    assert.equal(revoked.status, 401);
    assert.match(messageOf(revoked), /the token "revoked" was revoked/);
    const expired = await as(NAMED.expired ?? '', 'GET', '/v1/runs/r1');
    assert.equal(expired.status, 401);
    assert.match(messageOf(expired), /the token "expired" expired/);
    for (const t of [`slw_${'z'.repeat(43)}`, `slw_${'r'.repeat(42)}`, `SLW_${'r'.repeat(43)}`]) {
      const a = await as(t, 'GET', '/v1/runs/r1');
      assert.equal(a.status, 401, t);
      assert.equal(codeOf(a), 'unauthorized');
    }
  });
});
