// Certificates over ACME with the TLS-ALPN-01 challenge, renewed before they expire, and an ACME
// server that goes away (issue 11.4): Debian's pebble on loopback issues certificates valid for
// VALIDITY_S seconds, so that renewal (two thirds into the lifetime) happens within the test. Given
// the real proxy daemon with only an HTTPS listener and `--acme-challenge tls-alpn-01`, then: the
// first certificate is issued over TLS-ALPN-01 and verifies against pebble's root; it is renewed
// before expiry while HTTPS requests keep being answered (none failed); with pebble stopped, the
// renewal fails, is retried with backoff, is shown by `slipway proxy status` and recorded in the
// audit trail, and the certificate before keeps serving; pebble back, the next retry succeeds.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSqliteStore } from '../../src/adapters/store/sqlite/store.js';
import { ensureProxy, type ProxyClient } from '../../src/adapters/proxy/client.js';
import { homePaths } from '../../src/home/paths.js';
import type { AcmeNameStatus } from '../../src/ports/proxy.js';
import { waitFor } from '../../src/test-support/wait.js';
import { getHttps, servedCertificate, startPebble, type Pebble } from './acme-helpers.js';
import { BIN } from './harness.js';
import { backend, freePort, startUpstream, tempHome, type Upstream } from './proxy-helpers.js';

const NAME = 'api.shop.test';
/** Each certificate's lifetime: renewed two thirds into it, 30 s after its issuance. */
const VALIDITY_S = 45;

let home: string;
let pebble: Pebble;
let client: ProxyClient;
let app: Upstream;
let httpsPort: number;

const slipway = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: home, encoding: 'utf8', env: { ...process.env, SLIPWAY_HOME: home } });
const acmeName = async (): Promise<AcmeNameStatus | undefined> => (await client.health()).acme?.names.find((n) => n.name === NAME);
const events = async (kind: string): Promise<{ kind: string; data: Record<string, unknown> }[]> => {
  const store = openSqliteStore(homePaths(home).db, { readonly: true });
  try {
    return (await store.listEvents({ subject: NAME })).filter((e) => e.kind === kind);
  } finally {
    await store.close();
  }
};

before(async () => {
  home = tempHome();
  spawnSync('git', ['init', '--quiet', home]); // the CLI runs in a repository; the home is SLIPWAY_HOME
  await openSqliteStore(homePaths(home).db).close(); // the home's audit trail, as a control plane leaves it
  httpsPort = await freePort();
  // pebble's HTTP-01 port is one nothing listens on: only TLS-ALPN-01 can succeed.
  pebble = await startPebble({ dir: fs.mkdtempSync(path.join(home, 'pebble-')), httpPort: await freePort(), tlsPort: httpsPort, validitySeconds: VALIDITY_S });
  const r = slipway('proxy', 'listen', '--https', `127.0.0.1:${httpsPort}`, '--acme', pebble.directory, '--acme-email', 'ops@shop.test', '--acme-ca', pebble.caFile, '--acme-challenge', 'tls-alpn-01', '--acme-retry', '1s');
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

describe('ACME over TLS-ALPN-01: issued, renewed, and an ACME server that goes away', () => {
  let first: AcmeNameStatus;
  let second: AcmeNameStatus;
  /** pebble's root until it restarts (each start makes a new one). */
  let root = '';

  test('the first certificate is issued over TLS-ALPN-01 and verifies against pebble’s root', async () => {
    first = await waitFor(async () => {
      const n = await acmeName();
      return n?.state === 'valid' && n;
    }, { what: `a certificate for ${NAME}`, timeout: 60_000 });
    root = await pebble.root();
    const r = await getHttps(httpsPort, NAME, root);
    assert.equal(r.status, 200);
    assert.equal(r.serial, first.serial);
    assert.ok(first.notAfter && first.renewAt && first.renewAt < first.notAfter);
    const issued = await events('certificate.issued');
    assert.equal(issued.length, 1, JSON.stringify(issued));
  });

  test('renewed before it expires, with HTTPS answered throughout', async () => {
    let sent = 0;
    const failed: string[] = [];
    const renewal = { seen: false };
    // One request at a time until the renewal is seen: bounded by the renewal's own wait.
    const load = (async () => {
      while (!renewal.seen) {
        sent++;
        await getHttps(httpsPort, NAME, root).then(
          (r) => void (r.status !== 200 && failed.push(`status ${r.status}`)),
          (e: unknown) => void failed.push(String(e)),
        );
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    second = await waitFor(async () => {
      const n = await acmeName();
      return n?.state === 'valid' && n.serial !== first.serial && n;
    }, { what: `the certificate of ${NAME} to be renewed`, timeout: (VALIDITY_S + 30) * 1000, interval: 250 }).finally(() => (renewal.seen = true));
    await load;
    assert.ok(new Date(first.notAfter ?? 0) > new Date(), 'renewed while the first certificate was still valid');
    assert.equal((await servedCertificate(httpsPort, NAME, root)).serial, second.serial, 'the new certificate serves');
    assert.ok(sent > 10, `${sent} requests during the renewal`);
    assert.deepEqual(failed, [], `${failed.length} of ${sent} requests failed`);
    assert.equal((await events('certificate.renewed')).length, 1);
  });

  test('pebble stopped: the renewal fails and is retried with backoff, shown and recorded; the certificate before serves', async () => {
    await pebble.stop();
    const failing = await waitFor(async () => {
      const n = await acmeName();
      return n?.state === 'failing' && n.failures >= 2 && n;
    }, { what: `the renewal of ${NAME} to fail twice`, timeout: (VALIDITY_S + 30) * 1000, interval: 250 });
    assert.equal(failing.serial, second.serial, 'the certificate before is kept');
    assert.ok(failing.error && failing.error.length > 0);
    assert.ok(new Date(failing.nextAttemptAt) > new Date(failing.lastAttemptAt ?? 0), 'a next attempt is planned');
    // Still served, and still valid.
    const served = await servedCertificate(httpsPort, NAME, root);
    assert.equal(served.serial, second.serial);
    const status = slipway('proxy', 'status');
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`${NAME.replace(/\./g, '\\.')}.*(fail|error)`, 'i'));
    const recorded = await events('certificate.failed');
    assert.ok(recorded.length >= 2, JSON.stringify(recorded));
    assert.equal(recorded[0]?.data.serving, second.serial);
    assert.doesNotMatch(JSON.stringify(recorded), /PRIVATE KEY|BEGIN/);
  });

  test('pebble back: the next retry renews it', async () => {
    await pebble.start();
    const third = await waitFor(async () => {
      const n = await acmeName();
      return n?.state === 'valid' && n.serial !== second.serial && n;
    }, { what: `the renewal of ${NAME} after pebble came back`, timeout: 60_000, interval: 250 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}; the proxy says: ${JSON.stringify(await acmeName())}`);
    });
    assert.equal(third.failures, 0);
    const r = await getHttps(httpsPort, NAME, await pebble.root());
    assert.equal(r.status, 200);
    assert.equal(r.serial, third.serial);
    const store = openSqliteStore(homePaths(home).db, { readonly: true });
    try {
      assert.equal((await store.verifyEvents()).ok, true, 'the chain is whole');
    } finally {
      await store.close();
    }
  });
});
