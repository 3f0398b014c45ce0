// The proxy's admin API, end to end: authentication, validation that changes nothing, ports that
// are taken, persistence to routes.json, removal of an environment, and in-flight counts.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProxyClient } from '../../src/adapters/proxy/client.js';
import { backend, fetchRaw, freePort, readJson, routes, startProxy, startUpstream, type Upstream } from './proxy-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

let client: ProxyClient;
let home: string;
let cleanup: () => Promise<void>;
let a: Upstream;
let b: Upstream;
let admin: string;
let token: string;

before(async () => {
  ({ client, home, cleanup } = await startProxy());
  [a, b] = await Promise.all([startUpstream('a'), startUpstream('b')]);
  const state = readJson<{ adminPort: number }>(path.join(home, 'proxy', 'proxy.json'))!;
  admin = `http://127.0.0.1:${state.adminPort}`;
  token = fs.readFileSync(path.join(home, 'proxy', 'token'), 'utf8').trim();
});
after(async () => {
  await cleanup();
  await Promise.all([a.close(), b.close()]);
});

const auth = (t = token) => ({ authorization: `Bearer ${t}` });

void describe('admin API', () => {
  void test('the token file is private and a missing or wrong token gets 401; /metrics is open to scrapers', async () => {
    assert.equal(fs.statSync(path.join(home, 'proxy', 'token')).mode & 0o777, 0o600);
    assert.equal((await fetchRaw(`${admin}/v1/health`)).status, 401);
    assert.equal((await fetchRaw(`${admin}/v1/health`, { headers: auth('x'.repeat(64)) })).status, 401);
    assert.equal((await fetchRaw(`${admin}/v1/health`, { headers: { authorization: token } })).status, 401, 'scheme required');
    assert.equal((await fetchRaw(`${admin}/v1/routes/x`, { method: 'PUT', body: '{}' })).status, 401);
    const ok = await fetchRaw(`${admin}/v1/health`, { headers: auth() });
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body.toString()) as { ok: boolean }).ok, true);
    const metrics = await fetchRaw(`${admin}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  });

  void test('bad bodies get 400 with a clear message, oversize ones 413, and nothing changes', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('stable', routes(port, backend('v1', 1, [a])))).ok);
    const before = fs.readFileSync(path.join(home, 'proxy', 'routes.json'), 'utf8');
    const put = (body: string, headers = {}) => fetchRaw(`${admin}/v1/routes/stable`, { method: 'PUT', body, headers: { ...auth(), ...headers } });
    const cases: [string, RegExp][] = [
      ['{not json', /not valid JSON/],
      ['[]', /JSON object/],
      [JSON.stringify({ port, backends: [{ release: 'v2', weight: 0.5, instances: [{ id: 'b', url: b.url }] }] }), /sum to 1/],
      [JSON.stringify({ port: 'x', backends: [] }), /port must be an integer/],
      [JSON.stringify({ port, backends: [{ release: 'v2', weight: 1, instances: [{ id: 'b', url: 'ftp://x' }] }] }), /must use http/],
    ];
    for (const [body, message] of cases) {
      const r = await put(body);
      assert.equal(r.status, 400, body);
      assert.match((JSON.parse(r.body.toString()) as { error: { message: string } }).error.message, message);
    }
    const bad = await fetchRaw(`${admin}/v1/routes/no%20spaces`, { method: 'PUT', body: '{}', headers: auth() });
    assert.equal(bad.status, 400);
    const huge = await put(JSON.stringify({ port, backends: [], pad: 'x'.repeat(2 * 1024 * 1024) }));
    assert.equal(huge.status, 413);
    // Same, without a content-length: the size is counted as the body streams in.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${admin}/v1/routes/stable`, { method: 'PUT', headers: auth(), agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 40; i++) req.write('x'.repeat(64 * 1024));
      req.end();
    });
    assert.equal(chunked, 413);
    assert.equal(fs.readFileSync(path.join(home, 'proxy', 'routes.json'), 'utf8'), before, 'routes.json unchanged');
    assert.equal((await fetchRaw(`http://127.0.0.1:${port}/`)).headers['x-upstream'], 'a', 'traffic unchanged');
  });

  void test('a port taken by another process or another environment → 409 naming the port, nothing changed', async () => {
    const squatter = http.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    try {
      const r = await client.setRoutes('squat', routes(taken, backend('v1', 1, [a])));
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.reason, 'port_taken');
        assert.match(r.message, new RegExp(`port ${taken} .*already in use`));
      }
      const raw = await fetchRaw(`${admin}/v1/routes/squat`, { method: 'PUT', body: JSON.stringify(routes(taken)), headers: auth() });
      assert.equal(raw.status, 409);
    } finally {
      squatter.close();
    }
    const port = await freePort();
    assert.ok((await client.setRoutes('first', routes(port, backend('v1', 1, [a])))).ok);
    const clash = await client.setRoutes('second', routes(port, backend('v1', 1, [b])));
    assert.equal(clash.ok, false);
    if (!clash.ok) assert.match(clash.message, new RegExp(`port ${port} is already used by environment "first"`));
    const envs = (await client.getRoutes()).map((e) => e.env);
    assert.ok(!envs.includes('squat') && !envs.includes('second'));
    assert.equal((await fetchRaw(`http://127.0.0.1:${port}/`)).headers['x-upstream'], 'a');
  });

  void test('routes are persisted atomically to routes.json on every change; DELETE closes the port', async () => {
    const port = await freePort();
    const r = routes(port, { ...backend('v7', 1, [b]), digest: 'sha256:feed' });
    assert.ok((await client.setRoutes('kept', r)).ok);
    const file = readJson<{ envs: Record<string, unknown> }>(path.join(home, 'proxy', 'routes.json'))!;
    assert.deepEqual(file.envs['kept'], { ...r, host: '127.0.0.1' });
    assert.deepEqual(
      fs.readdirSync(path.join(home, 'proxy')).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left behind',
    );
    const listed = (await client.getRoutes()).find((e) => e.env === 'kept')!;
    assert.equal(listed.listening, true);
    assert.equal(listed.backends[0]!.digest, 'sha256:feed');

    assert.ok((await client.removeEnv('kept')).ok);
    await assert.rejects(fetchRaw(`http://127.0.0.1:${port}/`), /ECONNREFUSED/);
    assert.equal(readJson<{ envs: Record<string, unknown> }>(path.join(home, 'proxy', 'routes.json'))!.envs['kept'], undefined);
    const again = await client.removeEnv('kept');
    assert.equal(again.ok, false);
    if (!again.ok) assert.equal(again.reason, 'not_found');
  });

  void test('inflight counts a slow request of a release until it finishes', async () => {
    const port = await freePort();
    assert.ok((await client.setRoutes('slow', routes(port, backend('v1', 1, [a])))).ok);
    const slow = fetchRaw(`http://127.0.0.1:${port}/slow?ms=600`);
    await waitFor(async () => (await client.inflight('slow', 'v1')) === 1, { what: 'the request to be in flight' });
    assert.equal(await client.inflight('slow', 'v9'), 0, 'an unknown release has nothing in flight');
    assert.equal((await slow).status, 200);
    assert.equal(await client.inflight('slow', 'v1'), 0);
    await assert.rejects(client.inflight('nope', 'v1'), /no environment "nope"/);
  });

  void test('unknown endpoints and methods are refused plainly', async () => {
    assert.equal((await fetchRaw(`${admin}/v1/nothing`, { headers: auth() })).status, 404);
    assert.equal((await fetchRaw(`${admin}/v1/routes`, { method: 'POST', headers: auth() })).status, 405);
    assert.equal((await fetchRaw(`${admin}/v1/metrics`, { headers: auth() })).status, 400);
    assert.equal((await fetchRaw(`${admin}/v1/metrics?env=x&since=soon`, { headers: auth() })).status, 400);
  });
});
