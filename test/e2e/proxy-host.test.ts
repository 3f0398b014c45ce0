// One shared listener for every environment: given the real proxy daemon with a shared HTTP
// listener (`slipway proxy listen --http`) and two environments claiming domains, when clients send
// requests with various Host headers, then each goes to the environment its host names (exact name,
// then the longest wildcard; port, case and a trailing dot ignored), an unknown host gets 421 and
// reaches no app nor any release's metrics, a domain already claimed is refused naming both
// environments, canary weights hold there, and an upgrade under load drops nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureProxy, type ProxyClient } from '../../src/adapters/proxy/client.js';
import type { ProxyHealth } from '../../src/ports/proxy.js';
import { saveEdgeSettings } from '../../src/proxy/edge-settings.js';
import { backend, fetchRaw, freePort, load, startUpstream, tempHome, type Upstream } from './proxy-helpers.js';
import fs from 'node:fs';

let client: ProxyClient;
let home: string;
let shared: number;
let stagingApp: Upstream;
let stagingNext: Upstream;
let prodApp: Upstream;

before(async () => {
  home = tempHome();
  shared = await freePort();
  saveEdgeSettings(home, { http: { host: '127.0.0.1', port: shared } });
  client = await ensureProxy(home);
  [stagingApp, stagingNext, prodApp] = await Promise.all([startUpstream('staging-a'), startUpstream('staging-b'), startUpstream('prod')]);
  const staging = await client.setRoutes('staging', { port: await freePort(), domains: ['staging.shop.test', '*.preview.shop.test'], backends: [backend('r1', 1, [stagingApp])] });
  assert.ok(staging.ok, JSON.stringify(staging));
  const prod = await client.setRoutes('production', { port: await freePort(), domains: ['shop.test', '*.shop.test'], backends: [backend('r1', 1, [prodApp])] });
  assert.ok(prod.ok, JSON.stringify(prod));
});
after(async () => {
  await client.stop();
  await Promise.all([stagingApp, stagingNext, prodApp].map((u) => u.close()));
  fs.rmSync(home, { recursive: true, force: true });
});

const get = (host: string | undefined, path = '/') => fetchRaw(`http://127.0.0.1:${shared}${path}`, { headers: host === undefined ? {} : { host } });
const health = async () => (await (await fetch(`http://127.0.0.1:${(JSON.parse(fs.readFileSync(`${home}/proxy/proxy.json`, 'utf8')) as { adminPort: number }).adminPort}/v1/health`, { headers: { authorization: `Bearer ${fs.readFileSync(`${home}/proxy/token`, 'utf8').trim()}` } })).json()) as ProxyHealth;

test('requests go to the environment their Host claims: exact first, then the longest wildcard', async () => {
  const cases: [string, string][] = [
    ['staging.shop.test', 'staging-a'],
    [`STAGING.Shop.Test.:${shared}`, 'staging-a'],
    ['pr-7.preview.shop.test', 'staging-a'],
    ['shop.test', 'prod'],
    ['www.shop.test', 'prod'],
    [`shop.test:${shared}`, 'prod'],
  ];
  for (const [host, upstream] of cases) {
    const r = await get(host);
    assert.equal(r.status, 200, host);
    assert.equal(r.headers['x-upstream'], upstream, host);
    const seen = JSON.parse(r.body.toString()) as { headers: Record<string, string> };
    assert.equal(seen.headers['x-forwarded-host'], host);
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
  }
  const h = await health();
  assert.deepEqual(h.listeners, [{ name: 'http', address: `127.0.0.1:${shared}`, listening: true }]);
});

test('an unknown host gets 421, reaches no app and counts against no release', async () => {
  const before = { hits: stagingApp.hits + prodApp.hits, misdirected: (await health()).misdirected ?? 0 };
  const metricsBefore = await Promise.all(['staging', 'production'].map((e) => client.metricsSnapshot(e)));
  for (const host of ['example.com', 'shop.test.evil.com', 'evilshop.test', 'preview.shop.tes', '127.0.0.1', '[::1]']) {
    const r = await get(host);
    assert.equal(r.status, 421, host);
    assert.match(r.body.toString(), /no environment serves|names no host/);
  }
  assert.equal(stagingApp.hits + prodApp.hits, before.hits);
  assert.equal((await health()).misdirected, before.misdirected + 6);
  const metricsAfter = await Promise.all(['staging', 'production'].map((e) => client.metricsSnapshot(e)));
  for (let i = 0; i < 2; i++) {
    const total = (m: typeof metricsAfter[number]) => m.releases.reduce((n, r) => n + r.requests.total, 0) + m.unrouted + (m.rejected ?? 0);
    assert.equal(total(metricsAfter[i]!), total(metricsBefore[i]!));
  }
});

test('a domain already claimed by another environment is refused, naming both, and nothing changes', async () => {
  const r = await client.setRoutes('qa', { port: await freePort(), domains: ['qa.shop.test', 'staging.shop.test'], backends: [backend('r1', 1, [prodApp])] });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.reason, 'domain_taken');
    assert.match(r.message, /staging\.shop\.test is claimed by both environment "staging" and environment "qa"/);
  }
  assert.deepEqual((await client.getRoutes()).map((e) => e.env), ['production', 'staging']);
  assert.equal((await get('staging.shop.test')).headers['x-upstream'], 'staging-a');
  const bad = await client.setRoutes('qa', { port: await freePort(), domains: ['Bad..Name'], backends: [] });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.equal(bad.reason, 'invalid');
});

test('canary weights hold on the shared listener, and an upgrade under load drops nothing', async () => {
  const port = (await client.getRoutes()).find((e) => e.env === 'staging')!.port;
  const r = await client.setRoutes('staging', { port, domains: ['staging.shop.test'], backends: [backend('r1', 0.5, [stagingApp]), backend('r2', 0.5, [stagingNext])] });
  assert.ok(r.ok);
  assert.equal((await get('pr-7.preview.shop.test')).headers['x-upstream'], 'prod', 'a dropped wildcard falls to the next longest one');
  let upgraded!: () => void;
  const until = new Promise<void>((resolve) => (upgraded = resolve));
  const running = load({ url: `http://127.0.0.1:${shared}/`, headers: { host: 'staging.shop.test' }, until, keepAlive: true, concurrency: 8 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const up = await client.upgrade();
  assert.ok(up.ok, JSON.stringify(up));
  await new Promise((resolve) => setTimeout(resolve, 300));
  upgraded();
  const result = await running;
  assert.equal(result.errors, 0, result.firstError);
  assert.equal(result.non2xx, 0);
  assert.ok((result.byUpstream.get('staging-a') ?? 0) > 0 && (result.byUpstream.get('staging-b') ?? 0) > 0, JSON.stringify([...result.byUpstream]));
  const m = await client.metricsSnapshot('staging');
  assert.ok(m.releases.find((x) => x.release === 'r2')!.requests.total > 0);
  assert.equal((await health()).listeners?.[0]?.listening, true);
});
