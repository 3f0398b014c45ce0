// HTTPS on the shared listener with certificates from PEM files: given the real proxy daemon with
// an HTTPS and an HTTP listener and a certificate made by openssl for staging.shop.test, when
// clients connect over HTTP/1.1 and HTTP/2 (SNI, the certificate trusted by this client only), then
// both reach the app with Slipway's forwarding headers and are counted in the release's metrics;
// plain HTTP is redirected 308 to HTTPS; a replaced certificate file is served without a restart;
// and a certificate that does not match its key is refused with a clear error while the old one
// keeps serving.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import type tls from 'node:tls';
import { after, before, test } from 'node:test';
import { ensureProxy, type ProxyClient } from '../../src/adapters/proxy/client.js';
import type { ProxyHealth } from '../../src/ports/proxy.js';
import { saveEdgeSettings } from '../../src/proxy/edge-settings.js';
import { waitFor } from '../../src/test-support/wait.js';
import { backend, fetchRaw, freePort, startUpstream, tempHome, type Upstream } from './proxy-helpers.js';

const NAME = 'staging.shop.test';
let client: ProxyClient;
let home: string;
let dir: string;
let httpPort: number;
let httpsPort: number;
let app: Upstream;

/** A self-signed certificate for NAME with a fresh key, written to `<dir>/<stem>.{crt,key}`. */
function makeCert(stem: string): { cert: string; key: string } {
  const cert = path.join(dir, `${stem}.crt`);
  const key = path.join(dir, `${stem}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${NAME}`, '-addext', `subjectAltName=DNS:${NAME}`], { stdio: 'ignore' });
  return { cert, key };
}

const fingerprint = (pem: string) => new X509Certificate(fs.readFileSync(pem)).fingerprint256;

before(async () => {
  home = tempHome();
  dir = fs.mkdtempSync(path.join(home, 'certs-'));
  const first = makeCert('first');
  fs.renameSync(first.cert, path.join(dir, 'live.crt'));
  fs.renameSync(first.key, path.join(dir, 'live.key'));
  [httpPort, httpsPort] = [await freePort(), await freePort()];
  saveEdgeSettings(home, { http: { host: '127.0.0.1', port: httpPort }, https: { host: '127.0.0.1', port: httpsPort }, certificates: [{ cert: path.join(dir, 'live.crt'), key: path.join(dir, 'live.key') }] });
  client = await ensureProxy(home);
  app = await startUpstream('app');
  const r = await client.setRoutes('staging', { port: await freePort(), domains: [NAME], backends: [backend('r1', 1, [app])] });
  assert.ok(r.ok, JSON.stringify(r));
});
after(async () => {
  await client.stop();
  await app.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** One HTTPS/1.1 GET trusting `caFile` only; resolves with the status, body and the peer's certificate. */
function get1(caFile: string, p = '/'): Promise<{ status: number; body: string; fingerprint: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: httpsPort, path: p, servername: NAME, headers: { host: NAME }, ca: fs.readFileSync(caFile), agent: false }, (res) => {
      const sock = res.socket as tls.TLSSocket;
      const peer = sock.getPeerX509Certificate();
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint: peer?.fingerprint256 ?? '', alpn: sock.alpnProtocol }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves every name to 127.0.0.1 (this client only: nothing else is asked). */
const loopback = (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void): void => {
  if (opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
};

/** One HTTP/2 GET trusting `caFile` only. */
function get2(caFile: string): Promise<{ status: number; body: string; alpn: string | false | undefined }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://${NAME}:${httpsPort}`, { ca: fs.readFileSync(caFile), lookup: loopback } as http2.SecureClientSessionOptions);
    session.on('error', reject);
    const s = session.request({ ':path': '/h2' });
    let status = 0;
    let body = '';
    s.on('response', (h) => (status = Number(h[':status'])));
    s.on('data', (c: Buffer) => (body += c.toString()));
    s.on('end', () => {
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status, body, alpn });
    });
    s.on('error', reject);
    s.end();
  });
}

const health = async () => {
  const state = JSON.parse(fs.readFileSync(`${home}/proxy/proxy.json`, 'utf8')) as { adminPort: number };
  const token = fs.readFileSync(`${home}/proxy/token`, 'utf8').trim();
  return (await (await fetch(`http://127.0.0.1:${state.adminPort}/v1/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as ProxyHealth;
};

test('HTTP/1.1 and HTTP/2 by ALPN reach the app with the forwarding headers, counted per release', async () => {
  const ca = path.join(dir, 'live.crt');
  const before = (await client.metricsSnapshot('staging')).releases.find((r) => r.release === 'r1')?.requests.total ?? 0;
  const one = await get1(ca);
  assert.equal(one.status, 200);
  assert.notEqual(one.alpn, 'h2', 'a client that offers no ALPN gets HTTP/1.1');
  const seen1 = JSON.parse(one.body) as { headers: Record<string, string> };
  assert.equal(seen1.headers['x-forwarded-proto'], 'https');
  assert.equal(seen1.headers['x-forwarded-host'], NAME);
  const two = await get2(ca);
  assert.equal(two.status, 200);
  assert.equal(two.alpn, 'h2');
  const seen2 = JSON.parse(two.body) as { url: string; headers: Record<string, string> };
  assert.equal(seen2.url, '/h2');
  assert.equal(seen2.headers['x-forwarded-proto'], 'https');
  assert.equal(seen2.headers['x-forwarded-host'], `${NAME}:${httpsPort}`);
  assert.equal(seen2.headers.host, `${NAME}:${httpsPort}`);
  const after = (await client.metricsSnapshot('staging')).releases.find((r) => r.release === 'r1')!.requests.total;
  assert.equal(after - before, 2);
});

test('plain HTTP is redirected 308 to HTTPS for a known host; an unknown one gets 421', async () => {
  const r = await fetchRaw(`http://127.0.0.1:${httpPort}/a?b=1`, { headers: { host: `${NAME}:${httpPort}` }, method: 'POST', body: 'x' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://${NAME}:${httpsPort}/a?b=1`);
  assert.equal((await fetchRaw(`http://127.0.0.1:${httpPort}/`, { headers: { host: 'other.test' } })).status, 421);
});

test('a certificate whose key does not match is refused and the old one keeps serving; a good one is served without a restart', async () => {
  const live = { cert: path.join(dir, 'live.crt'), key: path.join(dir, 'live.key') };
  const old = fingerprint(live.cert);
  const oldCopy = path.join(dir, 'old.crt');
  fs.copyFileSync(live.cert, oldCopy);
  // Given a new certificate written over the old one, but with the old key left in place:
  const next = makeCert('next');
  fs.copyFileSync(next.cert, live.cert);
  const refused = await waitFor(async () => (await health()).certificates?.find((c) => c.cert === live.cert && c.error !== undefined), { what: 'the mismatched certificate to be refused' });
  assert.match(refused.error ?? '', /does not match its key/);
  assert.deepEqual(refused.names, [NAME]);
  const still = await get1(oldCopy);
  assert.equal(still.status, 200);
  assert.equal(still.fingerprint, old, 'the old certificate keeps serving');
  // When its key arrives too, the new certificate is served, without a restart.
  fs.copyFileSync(next.key, live.key);
  const pid = (await health()).pid;
  const served = await waitFor(async () => {
    const r = await get1(next.cert).catch(() => undefined);
    return r?.fingerprint === fingerprint(next.cert) ? r : undefined;
  }, { what: 'the new certificate to be served' });
  assert.equal(served.status, 200);
  assert.equal((await health()).pid, pid);
  assert.equal((await health()).certificates?.find((c) => c.cert === live.cert)?.error, undefined);
});
