// Issue 11's end-to-end check, as a new user would do it, on loopback only: a Slipway server with
// two apps (shop and blog); the operator gives the server's one edge proxy an HTTP and an HTTPS
// listener with ACME from Debian's pebble; a "laptop" directory with no Slipway home logs in,
// creates the apps and pushes to their queues; staging is served at https://staging.shop.test with
// a certificate pebble issued over HTTP-01 (the client resolves every name to 127.0.0.1 itself and
// trusts pebble's root only); `slipway promote staging production` from the laptop, under an HTTPS
// load on keep-alive and new connections, fails no request; blog, on the same listeners, is
// unaffected throughout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AcmeNameStatus } from '../../src/ports/proxy.js';
import { startLoad, type LoadReport } from '../../src/test-support/load.js';
import { waitFor } from '../../src/test-support/wait.js';
import { getHttps, servedCertificate, startPebble, type Pebble } from './acme-helpers.js';
import { fetchRaw, freePort } from './proxy-helpers.js';
import { appClone, laptopCli, ok, operator, proxyAdmin, pushAndMerge, startAppsServer, type AppsServer, type LaptopCli } from './server-helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'slipway-server-https-'));
const srv = join(scratch, 'srv');
const laptop = join(scratch, 'laptop');
const shopClone = join(laptop, 'shop');
const blogClone = join(laptop, 'blog');
let server: AppsServer | undefined;
let pebble: Pebble | undefined;
let cli: LaptopCli;
let root = '';
let httpPort = 0;
let httpsPort = 0;
const ports: Record<string, number> = {};

const shopEnvs = (): string[] => [
  '  staging:',
  `    port: ${ports.shopStaging}`,
  '    strategy: blue-green',
  '    verify: { window: 1s }',
  '    domains: [staging.shop.test]',
  '  production:',
  `    port: ${ports.shopProduction}`,
  '    promote_from: staging',
  '    strategy: blue-green',
  '    verify: { window: 1s }',
  '    domains: [shop.test]',
];

/** The ACME state of `name` in the shared proxy. */
const acmeOf = async (name: string): Promise<AcmeNameStatus | undefined> => (await proxyAdmin(srv).health()).acme?.names.find((n) => n.name === name);
const certified = (name: string) =>
  waitFor(async () => {
    const n = await acmeOf(name);
    return n?.state === 'valid' && n;
  }, { what: `pebble's certificate for ${name}`, timeout: 60_000, interval: 200 });

/** HTTPS load on `name` through the shared listener: 2 keep-alive clients every 20 ms, 2 new-connection clients every 50 ms. */
const httpsLoad = (name: string) => startLoad(`https://127.0.0.1:${httpsPort}/`, { keepAlive: { clients: 2, everyMs: 20 }, fresh: { clients: 2, everyMs: 50 }, headers: { host: name }, tls: { ca: root, servername: name } });
const shown = (what: string, r: LoadReport): string => `# ${what}: ${r.sent} HTTPS requests sent (${r.byConnection.keepAlive} keep-alive, ${r.byConnection.fresh} new connections), ${r.failed} failed ${JSON.stringify(r.reasons)}, answers ${JSON.stringify(r.bodies)}\n`;

before(async () => {
  mkdirSync(laptop, { recursive: true });
  mkdirSync(srv, { recursive: true, mode: 0o700 });
  [httpPort, httpsPort] = [await freePort(), await freePort()];
  for (const k of ['shopStaging', 'shopProduction', 'blogStaging']) ports[k] = await freePort();
  // pebble validates HTTP-01 on the edge's HTTP port, every name resolving to 127.0.0.1.
  pebble = await startPebble({ dir: mkdtempSync(join(scratch, 'pebble-')), httpPort, tlsPort: httpsPort });
  root = await pebble.root();
  // The operator, once, on the box: the server's edge on 80/443 (here loopback ports) with ACME.
  const listen = await operator(srv, ['proxy', 'listen', '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${httpsPort}`, '--acme', pebble.directory, '--acme-email', 'ops@shop.test', '--acme-ca', pebble.caFile, '--acme-retry', '1s']);
  assert.equal(listen.code, 0, listen.stderr);
  server = await startAppsServer(srv);
  cli = laptopCli(join(scratch, 'config'), shopClone);
  appClone(shopClone, 'shop', shopEnvs());
  appClone(blogClone, 'blog', ['  staging:', `    port: ${ports.blogStaging}`, '    strategy: blue-green', '    verify: { window: 1s }', '    domains: [staging.blog.test]']);
});

after(async () => {
  if (server) await server.close(cli);
  await pebble?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a server with two apps behind one HTTPS edge with pebble certificates, driven from a laptop', () => {
  test('from the laptop: login, apps create, git push to the queues; both merged by the server', async () => {
    await ok(cli, ['login', server!.base], { input: `${server!.adminToken}\n` });
    await ok(cli, ['apps', 'create', 'shop']);
    await ok(cli, ['apps', 'create', 'blog']);
    await pushAndMerge(cli, server!, shopClone, 'shop');
    await pushAndMerge(cli, server!, blogClone, 'blog');
    for (const d of [shopClone, blogClone]) assert.equal(existsSync(join(d, '.slipway')), false, 'the laptop has no Slipway home');
  });

  test('staging is served at https://staging.shop.test with a certificate pebble issued, verified against pebble’s root alone', async () => {
    await ok(cli, ['deploy', 'staging', '--app', 'shop']);
    await ok(cli, ['deploy', 'staging', '--app', 'blog'], { cwd: blogClone });
    const shop = await certified('staging.shop.test');
    const blog = await certified('staging.blog.test');
    const r = await getHttps(httpsPort, 'staging.shop.test', root);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello from shop v1');
    assert.equal(r.serial, shop.serial);
    const b = await getHttps(httpsPort, 'staging.blog.test', root);
    assert.equal(b.body, 'hello from blog v1');
    assert.equal(b.serial, blog.serial);
    assert.notEqual(shop.serial, blog.serial, 'one certificate per name');
    // Trusting another CA only (pebble's own HTTPS certificate), the same certificate is refused.
    await assert.rejects(servedCertificate(httpsPort, 'staging.shop.test', readFileSync(pebble!.caFile, 'utf8')), /self[- ]signed|unable to (verify|get)/i);
    // Plain HTTP is redirected to HTTPS; an unknown host is routed nowhere.
    const redirect = await fetchRaw(`http://127.0.0.1:${httpPort}/page`, { headers: { host: 'staging.shop.test' } });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.location, `https://staging.shop.test:${httpsPort}/page`);
    assert.equal((await fetchRaw(`http://127.0.0.1:${httpPort}/`, { headers: { host: 'nobody.test' } })).status, 421);
  });

  test('promote staging production from the laptop: production answers at https://shop.test with its own certificate', async () => {
    await ok(cli, ['promote', 'staging', 'production']);
    const prod = await certified('shop.test');
    const r = await getHttps(httpsPort, 'shop.test', root);
    assert.equal(r.body, 'hello from shop v1');
    assert.equal(r.serial, prod.serial);
  });

  test('v2 pushed and promoted under an HTTPS load on production and on blog: 0 failed requests', async () => {
    appClone(shopClone, 'shop', shopEnvs(), 'v2');
    await pushAndMerge(cli, server!, shopClone, 'shop');
    await ok(cli, ['deploy', 'staging']);
    assert.equal((await getHttps(httpsPort, 'staging.shop.test', root)).body, 'hello from shop v2');
    const production = httpsLoad('shop.test');
    const blog = httpsLoad('staging.blog.test');
    const promoted = await cli(['promote', 'staging', 'production']); // the CLI never throws: it exits with a code
    const [onProduction, onBlog] = await Promise.all([production.stop(), blog.stop()]);
    process.stdout.write(shown('shop.test during `slipway promote staging production`', onProduction));
    process.stdout.write(shown('staging.blog.test during the same promote', onBlog));
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.deepEqual(onProduction.failures, []);
    assert.equal(onProduction.failed, 0);
    assert.equal(onBlog.failed, 0, JSON.stringify(onBlog.failures));
    assert.ok(onProduction.byConnection.keepAlive > 0 && onProduction.byConnection.fresh > 0);
    assert.ok((onProduction.bodies['hello from shop v1'] ?? 0) > 0 && (onProduction.bodies['hello from shop v2'] ?? 0) > 0, `the load saw the switch: ${JSON.stringify(onProduction.bodies)}`);
    assert.deepEqual(Object.keys(onBlog.bodies), ['hello from blog v1']);
    assert.equal((await getHttps(httpsPort, 'shop.test', root)).body, 'hello from shop v2');
  });

  test('the second app is unaffected: only its own run and its one deployment, its certificate unchanged', async () => {
    const history = JSON.parse((await ok(cli, ['history', 'staging', '--json', '--app', 'blog'])).stdout) as { trigger: string; status: string }[];
    assert.equal(history.length, 1);
    assert.equal(history[0]?.status, 'succeeded');
    const prodHistory = await cli(['history', 'production', '--app', 'blog']);
    assert.equal(prodHistory.code, 2, prodHistory.stderr);
    const blog = await acmeOf('staging.blog.test');
    assert.equal((await getHttps(httpsPort, 'staging.blog.test', root)).serial, blog?.serial);
    assert.equal(blog?.failures, 0);
  });
});
