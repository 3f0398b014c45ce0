// Debian's pebble (Let's Encrypt's ACME test server) for the ACME tests, on 127.0.0.1 only: its own
// HTTPS certificate made by openssl in a temp directory, a config whose httpPort/tlsPort are the
// proxy's listener ports, pebble-challtestsrv as its DNS server answering every name with
// 127.0.0.1 (and no IPv6 address), no random validation sleeps, no rejected nonces. Its root
// (fetched from the management API, new at each start) is trusted by the test's client only.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { waitFor } from '../../src/test-support/wait.js';
import { freePort } from './proxy-helpers.js';

export interface Pebble {
  /** The ACME directory URL. */
  directory: string;
  /** pebble's own HTTPS certificate: what the proxy trusts for the directory (--acme-ca). */
  caFile: string;
  /** The root that signs issued certificates (this run of pebble's). */
  root(): Promise<string>;
  /** Stops pebble (the DNS server stays); `start()` brings it back on the same ports, with a new root. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops everything this started. */
  close(): Promise<void>;
}

export interface PebbleOptions {
  dir: string;
  httpPort: number;
  tlsPort: number;
  /** Seconds each issued certificate is valid (pebble's certificateValidityPeriod); pebble's default when absent. */
  validitySeconds?: number;
  /** Names pebble refuses to issue for. */
  blocklist?: string[];
}

const exited = (p: ChildProcess): Promise<void> => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r())));

async function kill(p: ChildProcess | undefined): Promise<void> {
  if (!p?.pid) return;
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await exited(p);
}

/** Starts pebble-challtestsrv and pebble; resolves once the directory answers. */
export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const { dir } = opts;
  const caFile = path.join(dir, 'pebble.crt');
  const keyFile = path.join(dir, 'pebble.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', caFile, '-days', '1', '-subj', '/CN=pebble', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const [acmePort, mgmtPort, dnsPort, dnsMgmtPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = path.join(dir, 'pebble.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: caFile,
        privateKey: keyFile,
        httpPort: opts.httpPort,
        tlsPort: opts.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
        ...(opts.blocklist ? { domainBlocklist: opts.blocklist } : {}),
      },
    }),
  );
  const log = fs.openSync(path.join(dir, 'pebble.log'), 'a');
  const dns = spawn('pebble-challtestsrv', ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsMgmtPort}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''], { stdio: ['ignore', log, log] });
  let pebble: ChildProcess | undefined;
  const ca = fs.readFileSync(caFile);
  const get = (url: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      https
        .get(url, { ca, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
  const directory = `https://127.0.0.1:${acmePort}/dir`;
  const start = async (): Promise<void> => {
    pebble = spawn('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`, '-strict=false'], {
      stdio: ['ignore', log, log],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    });
    await waitFor(async () => (await get(directory)).status === 200, { what: `pebble's directory at ${directory}` });
  };
  const stop = async (): Promise<void> => {
    await kill(pebble);
    pebble = undefined;
  };
  try {
    await start();
  } catch (err) {
    await stop();
    await kill(dns);
    throw err;
  }
  return {
    directory,
    caFile,
    root: async () => {
      const r = await get(`https://127.0.0.1:${mgmtPort}/roots/0`);
      if (r.status !== 200) throw new Error(`pebble's root: ${r.status}`);
      return r.body;
    },
    stop,
    start,
    close: async () => {
      await stop();
      await kill(dns);
      fs.closeSync(log);
    },
  };
}

/** The serial and validity of the certificate served for `name` on 127.0.0.1:`port`, verified against `root`. */
export function servedCertificate(port: number, name: string, root: string): Promise<{ serial: string; validTo: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: name, ca: root, ALPNProtocols: ['http/1.1'] }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (!cert) return reject(new Error('no certificate'));
      resolve({ serial: cert.serialNumber.toLowerCase(), validTo: cert.validTo });
    });
    socket.on('error', reject);
  });
}

/** One HTTPS GET of `name` on 127.0.0.1:`port`, verifying against `root` only. */
export function getHttps(port: number, name: string, root: string, p = '/'): Promise<{ status: number; body: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: p, servername: name, headers: { host: name }, ca: root, agent: false }, (res) => {
      const serial = (res.socket as tls.TLSSocket).getPeerX509Certificate()?.serialNumber.toLowerCase() ?? '';
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }));
    });
    req.on('error', reject);
    req.end();
  });
}
