// Certificates over ACME with the HTTP-01 challenge, from Debian's pebble on loopback: given the
// real proxy daemon with an HTTP and an HTTPS listener, an environment claiming shop.test and ACME
// turned on with `slipway proxy listen --acme …`, when the proxy runs, then pebble validates the
// challenge on the proxy's HTTP listener, the issued certificate serves HTTPS that verifies against
// pebble's root (trusted by this client only), the keys are 0600 in the home, the issuance is in
// the audit trail (no key in it), and the challenge path is answered by the proxy, never an app.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openSqliteStore } from '../../src/adapters/store/sqlite/store.js';
import { ensureProxy, type ProxyClient } from '../../src/adapters/proxy/client.js';
import { homePaths } from '../../src/home/paths.js';
import type { AcmeNameStatus } from '../../src/ports/proxy.js';
import { waitFor } from '../../src/test-support/wait.js';
import { getHttps, startPebble, type Pebble } from './acme-helpers.js';
import { BIN } from './harness.js';
import { backend, fetchRaw, freePort, startUpstream, tempHome, type Upstream } from './proxy-helpers.js';

const NAME = 'shop.test';
let home: string;
let pebble: Pebble;
let client: ProxyClient;
let app: Upstream;
let httpPort: number;
let httpsPort: number;

const slipway = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: home, encoding: 'utf8', env: { ...process.env, SLIPWAY_HOME: home } });

const acmeName = async (): Promise<AcmeNameStatus | undefined> => (await client.health()).acme?.names.find((n) => n.name === NAME);

before(async () => {
  home = tempHome();
  spawnSync('git', ['init', '--quiet', home]); // the CLI runs in a repository; the home is SLIPWAY_HOME
  await openSqliteStore(homePaths(home).db).close(); // the home's audit trail, as a control plane leaves it
  [httpPort, httpsPort] = [await freePort(), await freePort()];
  pebble = await startPebble({ dir: fs.mkdtempSync(path.join(home, 'pebble-')), httpPort, tlsPort: httpsPort });
  const r = slipway('proxy', 'listen', '--http', `127.0.0.1:${httpPort}`, '--https', `127.0.0.1:${httpsPort}`, '--acme', pebble.directory, '--acme-email', 'ops@shop.test', '--acme-ca', pebble.caFile, '--acme-retry', '1s');
  assert.equal(r.status, 0, r.stderr);
  client = await ensureProxy(home);
  app = await startUpstream('app');
  const set = await client.setRoutes('staging', { port: await freePort(), domains: [NAME], backends: [backend('r1', 1, [app])] });
  assert.ok(set.ok, JSON.stringify(set));
});

after(async () => {
  await client?.stop();
  await app?.close();
  await pebble?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

test('the certificate is issued over HTTP-01 and serves HTTPS that verifies against pebble’s root', async () => {
  const issued = await waitFor(async () => {
    const n = await acmeName();
    return n?.state === 'valid' && n;
  }, { what: `a certificate for ${NAME}`, timeout: 60_000 });
  assert.equal(issued.failures, 0);
  const root = await pebble.root();
  const r = await getHttps(httpsPort, NAME, root);
  assert.equal(r.status, 200);
  assert.equal(r.serial, issued.serial);
  assert.equal((JSON.parse(r.body) as { name: string }).name, 'app');
  assert.ok(issued.renewAt && issued.notAfter && issued.renewAt < issued.notAfter, 'renewal is planned before expiry');
});

test('the account and certificate keys are 0600 in a 0700 directory of the home', () => {
  const dir = path.join(home, 'proxy', 'acme');
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  for (const f of ['account.key', `certs/${NAME}.key`, `certs/${NAME}.crt`]) assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
});

test('the issuance is in the audit trail, with its serial and no key', async () => {
  const store = openSqliteStore(homePaths(home).db, { readonly: true });
  try {
    const events = await store.listEvents({ subject: NAME });
    const issued = events.find((e) => e.kind === 'certificate.issued');
    assert.ok(issued, JSON.stringify(events));
    assert.equal(issued.actor, 'slipway-proxy');
    assert.equal(issued.data.serial, (await acmeName())?.serial);
    assert.doesNotMatch(JSON.stringify(events), /PRIVATE KEY|BEGIN/);
    assert.equal((await store.verifyEvents()).ok, true, 'the chain is whole');
  } finally {
    await store.close();
  }
});

test('the challenge path is the proxy’s: unknown tokens 404, never routed to an app nor redirected', async () => {
  const hits = app.hits;
  const r = await fetchRaw(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/nothing-pending`, { headers: { host: NAME } });
  assert.equal(r.status, 404);
  assert.equal(app.hits, hits, 'the app saw nothing');
  const other = await fetchRaw(`http://127.0.0.1:${httpPort}/page`, { headers: { host: NAME } });
  assert.equal(other.status, 308);
  assert.equal(other.headers.location, `https://${NAME}:${httpsPort}/page`);
});

test('slipway proxy status shows the ACME directory and the name’s certificate', () => {
  const r = slipway('proxy', 'status');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`acme +${pebble.directory.replace(/[/.]/g, '\\$&')} \\(http-01\\)`));
  assert.match(r.stdout, new RegExp(`${NAME} serial [0-9a-f]+ until `));
});
