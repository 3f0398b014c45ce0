// One edge for all the apps of a server (issue 11.3): given `slipway server --home DIR` with two
// apps, shop and blog, each with a `staging` claiming its own domain, and the operator giving the
// server's proxy one shared HTTP listener on 127.0.0.1 (`slipway proxy listen --home DIR`), when
// both are deployed from a laptop, then one proxy process serves both, each Host reaches its own
// app, an unknown host gets 421 and reaches nothing, the metrics are labelled by app; a domain of
// one app claimed by the other is refused naming both and changes nothing; bad route names are
// refused with 400; blog serves every request while shop deploys; and `apps rm shop` removes
// shop's routes alone while blog keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvRouteStatus } from '../../src/ports/proxy.js';
import { ensureProxy } from '../../src/adapters/proxy/client.js';
import { waitFor } from '../../src/test-support/wait.js';
import { fetchRaw, freePort, load, pidAlive } from './proxy-helpers.js';
import { appClone, laptopCli, ok, operator, proxyAdmin, pushAndMerge, startAppsServer, type AppsServer, type LaptopCli } from './server-helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'slipway-server-edge-'));
const srv = join(scratch, 'srv');
const laptop = join(scratch, 'laptop');
const shopClone = join(laptop, 'shop');
const blogClone = join(laptop, 'blog');
let server: AppsServer | undefined;
let cli: LaptopCli;
let edge = 0;
const ports: Record<string, number> = {};

const env = (name: string, port: number, ...domains: string[]): string[] => [`  ${name}:`, `    port: ${port}`, '    strategy: blue-green', '    verify: { window: 1s }', `    domains: [${domains.join(', ')}]`];
const viaEdge = (host: string) => fetchRaw(`http://127.0.0.1:${edge}/`, { headers: { host } });

before(async () => {
  mkdirSync(laptop, { recursive: true });
  edge = await freePort();
  for (const k of ['shop', 'blog']) ports[k] = await freePort();
  mkdirSync(srv, { recursive: true, mode: 0o700 });
  // The operator gives the server's proxy its shared listener before anything runs: saved, opened when the proxy starts.
  const listen = await operator(srv, ['proxy', 'listen', '--http', `127.0.0.1:${edge}`]);
  assert.equal(listen.code, 0, listen.stderr);
  assert.match(listen.stdout, /saved \(http 127\.0\.0\.1:\d+, https off, acme off\); the proxy opens them when it starts/);
  server = await startAppsServer(srv);
  cli = laptopCli(join(scratch, 'config'), shopClone);
  appClone(shopClone, 'shop', env('staging', ports.shop!, 'staging.shop.test'));
  appClone(blogClone, 'blog', env('staging', ports.blog!, 'staging.blog.test'));
});

after(async () => {
  if (server) await server.close(cli);
  rmSync(scratch, { recursive: true, force: true });
});

describe('one shared edge for the apps of a server', () => {
  const admin = () => proxyAdmin(srv);
  const routeKeys = async () => ((await admin().call('GET', '/v1/routes')).body as { envs: EnvRouteStatus[] }).envs.map((e) => e.env);

  test('an app’s home is refused as the proxy’s home, naming the server’s', async () => {
    await ok(cli, ['login', server!.base], { input: `${server!.adminToken}\n` });
    await ok(cli, ['apps', 'create', 'shop']);
    await ok(cli, ['apps', 'create', 'blog']);
    const refused = await operator(join(srv, 'apps', 'shop'), ['proxy', 'listen', '--http', `127.0.0.1:${edge}`]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /is the home of the app "shop" of the server .*whose apps share the server’s edge proxy/);
    assert.match(refused.stderr, new RegExp(`--home ${srv.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });

  test('both apps deployed from the laptop: one proxy serves both, each Host reaches its own app, each port its own', async () => {
    await pushAndMerge(cli, server!, shopClone, 'shop');
    await pushAndMerge(cli, server!, blogClone, 'blog');
    await ok(cli, ['deploy', 'staging', '--app', 'shop']);
    await ok(cli, ['deploy', 'staging', '--app', 'blog'], { cwd: blogClone });
    assert.deepEqual(await routeKeys(), ['blog.staging', 'shop.staging']);
    for (const app of ['shop', 'blog']) assert.equal(existsSync(join(srv, 'apps', app, 'proxy')), false, `${app} has no proxy of its own`);
    assert.equal((await viaEdge('staging.shop.test')).body.toString(), 'hello from shop v1');
    assert.equal((await viaEdge(`Staging.Blog.Test:${edge}`)).body.toString(), 'hello from blog v1');
    assert.equal((await fetchRaw(`http://127.0.0.1:${ports.shop}/`)).body.toString(), 'hello from shop v1');
    assert.equal((await fetchRaw(`http://127.0.0.1:${ports.blog}/`)).body.toString(), 'hello from blog v1');
    const h = await admin().health();
    assert.deepEqual(h.listeners, [{ name: 'http', address: `127.0.0.1:${edge}`, listening: true }]);
    // Each app's status sees its own environment only.
    const status = JSON.parse((await ok(cli, ['status', '--json', '--app', 'blog'])).stdout) as { environments: { env: string }[] };
    assert.deepEqual(status.environments.map((e) => e.env), ['staging']);
  });

  test('an unknown host gets 421 and reaches no app; the metrics are labelled by app and environment', async () => {
    const total = async (key: string) => ((await admin().call('GET', `/v1/metrics?env=${key}`)).body as { releases: { requests: { total: number } }[]; unrouted: number }).releases.reduce((n, r) => n + r.requests.total, 0);
    const before = { shop: await total('shop.staging'), blog: await total('blog.staging'), misdirected: (await admin().health()).misdirected ?? 0 };
    for (const host of ['staging.nothing.test', 'shop.test', 'staging.shop.test.evil.com', '127.0.0.1']) {
      const r = await viaEdge(host);
      assert.equal(r.status, 421, host);
      assert.doesNotMatch(r.body.toString(), /hello from/);
    }
    assert.equal(await total('shop.staging'), before.shop);
    assert.equal(await total('blog.staging'), before.blog);
    assert.equal((await admin().health()).misdirected, before.misdirected + 4);
    const text = await admin().metrics();
    assert.match(text, /slipway_proxy_requests_total\{app="shop",env="staging",release="v1",code="2xx"\} [1-9]/);
    assert.match(text, /slipway_proxy_requests_total\{app="blog",env="staging",release="v1",code="2xx"\} [1-9]/);
    assert.doesNotMatch(text, /env="shop\.staging"/);
  });

  test('bad route names are refused with 400 and change nothing', async () => {
    const routes = { port: await freePort(), backends: [] };
    for (const bad of ['Shop.staging', 'shop.', '.staging', 'a.b.c', 'shop..staging', '-shop.staging', 'shop_1.staging', `${'x'.repeat(64)}.staging`]) {
      const r = await admin().call('PUT', `/v1/routes/${encodeURIComponent(bad)}`, routes);
      assert.equal(r.status, 400, bad);
      assert.match(JSON.stringify(r.body), /invalid (route|environment) name/, bad);
    }
    assert.deepEqual(await routeKeys(), ['blog.staging', 'shop.staging']);
  });

  test('a domain of one app claimed by the other is refused (409), naming both apps, and nothing changes', async () => {
    const r = await admin().call('PUT', '/v1/routes/blog.qa', { port: await freePort(), domains: ['staging.shop.test'], backends: [] });
    assert.equal(r.status, 409);
    assert.match(JSON.stringify(r.body), /domain staging\.shop\.test is claimed by both app \\"shop\\" environment \\"staging\\" and app \\"blog\\" environment \\"qa\\"/);
    assert.deepEqual(await routeKeys(), ['blog.staging', 'shop.staging']);
  });

  test('shop deploys v2 while blog serves a load on the shared listener: not one of blog’s requests fails', async () => {
    appClone(shopClone, 'shop', env('staging', ports.shop!, 'staging.shop.test'), 'v2');
    // blog's next commit also claims shop's domain: refused at its deploy below.
    appClone(blogClone, 'blog', env('staging', ports.blog!, 'staging.blog.test', 'staging.shop.test'), 'v2');
    await pushAndMerge(cli, server!, shopClone, 'shop');
    await pushAndMerge(cli, server!, blogClone, 'blog');
    let deployed!: () => void;
    const until = new Promise<void>((resolve) => (deployed = resolve));
    const running = load({ url: `http://127.0.0.1:${edge}/`, headers: { host: 'staging.blog.test' }, until, keepAlive: true, concurrency: 4 });
    const fresh = load({ url: `http://127.0.0.1:${edge}/`, headers: { host: 'staging.blog.test' }, until, keepAlive: false, concurrency: 2 });
    try {
      await ok(cli, ['deploy', 'staging', '--app', 'shop']);
    } finally {
      deployed();
    }
    const [kept, opened] = await Promise.all([running, fresh]);
    process.stdout.write(`# blog during shop's deploy: ${kept.total} keep-alive and ${opened.total} new-connection requests, ${kept.errors + opened.errors} failed, ${kept.non2xx + opened.non2xx} not 2xx\n`);
    assert.ok(kept.total > 0 && opened.total > 0);
    assert.equal(kept.errors + opened.errors, 0, kept.firstError ?? opened.firstError);
    assert.equal(kept.non2xx + opened.non2xx, 0);
    assert.equal((await viaEdge('staging.shop.test')).body.toString(), 'hello from shop v2');
  });

  test('blog’s deploy of a commit claiming shop’s domain is refused naming both apps; both keep serving as before', async () => {
    const r = await cli(['deploy', 'staging', '--app', 'blog'], { cwd: blogClone });
    assert.notEqual(r.code, 0);
    process.stdout.write(`# blog's refused deploy: exit ${r.code}: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}\n`);
    assert.match(r.stdout + r.stderr, /domain staging\.shop\.test is claimed by both app "shop" environment "staging" and app "blog" environment "staging"/);
    assert.equal((await viaEdge('staging.shop.test')).body.toString(), 'hello from shop v2');
    assert.equal((await viaEdge('staging.blog.test')).body.toString(), 'hello from blog v1');
    assert.deepEqual(await routeKeys(), ['blog.staging', 'shop.staging']);
  });

  test('an app of a server made before the shared edge, with a proxy of its own: at the next start its routes move to the shared proxy', async () => {
    // blog as it was: its staging on a proxy under its own home, not on the server's.
    const shared = ((await admin().call('GET', '/v1/routes')).body as { envs: EnvRouteStatus[] }).envs.find((e) => e.env === 'blog.staging')!;
    await server!.stop();
    assert.equal((await admin().call('DELETE', '/v1/routes/blog.staging')).status, 200);
    const blogHome = join(srv, 'apps', 'blog');
    const own = await ensureProxy(blogHome);
    const set = await own.setRoutes('staging', { port: shared.port, backends: shared.backends });
    assert.ok(set.ok, JSON.stringify(set));
    assert.equal((await fetchRaw(`http://127.0.0.1:${ports.blog}/`)).body.toString(), 'hello from blog v1');
    assert.equal((await viaEdge('staging.blog.test')).status, 421, 'not on the shared edge');
    const ownPid = (JSON.parse(readFileSync(join(blogHome, 'proxy', 'proxy.json'), 'utf8')) as { pid: number }).pid;
    await own.close();
    server = await startAppsServer(srv);
    await ok(cli, ['login', server.base], { input: `${server.adminToken}\n` }); // it listens on another port now
    await waitFor(() => /\[blog\] its environments moved from its own proxy to the server’s shared proxy/.test(server!.log()), { what: 'blog to move to the shared proxy' });
    assert.deepEqual(await routeKeys(), ['blog.staging', 'shop.staging']);
    assert.equal(pidAlive(ownPid), false, 'its own proxy stopped');
    assert.equal(existsSync(join(blogHome, 'proxy')), false);
    assert.equal(existsSync(join(blogHome, 'proxy.replaced', 'routes.json')), true, 'kept aside');
    assert.equal((await viaEdge('staging.blog.test')).body.toString(), 'hello from blog v1');
    assert.equal((await fetchRaw(`http://127.0.0.1:${ports.blog}/`)).body.toString(), 'hello from blog v1');
    assert.equal((await viaEdge('staging.shop.test')).body.toString(), 'hello from shop v2');
  });

  test('apps rm shop removes shop’s routes alone: its host gets 421, its port closes, blog keeps serving', async () => {
    await ok(cli, ['apps', 'rm', 'shop', '--yes']);
    assert.deepEqual(await routeKeys(), ['blog.staging']);
    assert.equal((await viaEdge('staging.shop.test')).status, 421);
    await assert.rejects(fetchRaw(`http://127.0.0.1:${ports.shop}/`));
    assert.equal((await viaEdge('staging.blog.test')).body.toString(), 'hello from blog v1');
    assert.equal((await fetchRaw(`http://127.0.0.1:${ports.blog}/`)).body.toString(), 'hello from blog v1');
  });
});
