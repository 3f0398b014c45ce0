// The proxy's shared listeners (`slipway proxy --http ADDR:PORT --https ADDR:PORT`), kept in
// `<home>/proxy/edge.json` so that a restart, an on-demand start or an upgrade serves them again.
// Absent file: no shared listener, only the port of each environment (local mode).

import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { writeFileAtomic } from '../adapters/fs/files.js';
import { proxyFiles } from '../ports/proxy.js';
import { acmeSettingsFile, checkAcmeSettings, type AcmeSettings } from './tls/acme-settings.js';
import type { CertFiles } from './tls/certs.js';
import type { Checked } from './validate.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface EdgeSettings {
  /** Plain HTTP, routed by Host (redirected to HTTPS when `https` is set too). */
  http?: ListenAddress;
  /** TLS, routed by SNI and Host. */
  https?: ListenAddress;
  /** PEM certificate chains and their keys served on `https` (each for the names it carries). */
  certificates?: CertFiles[];
  /** Certificates issued and renewed over ACME for the names the proxy serves (tls/acme.ts). */
  acme?: AcmeSettings;
}

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/**
 * `ADDR:PORT` as given on the command line: `127.0.0.1:8080`, `0.0.0.0:80`, `[::]:443`, or
 * `:443` for every IPv4 interface. The address must be an IP address (no name to resolve).
 */
export function parseListenAddress(text: string): Checked<ListenAddress> {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]*)):(\d{1,5})$/.exec(text);
  const expected = 'expected ADDR:PORT such as 127.0.0.1:8080, 0.0.0.0:80, [::]:443 or :443';
  if (!m) return fail(`${JSON.stringify(text)} is not a listen address: ${expected}`);
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!);
  const port = Number(m[3]);
  if (isIP(host) === 0) return fail(`${JSON.stringify(host)} is not an IP address: ${expected}`);
  if (port < 1 || port > 65535) return fail(`port ${port} is out of range: ${expected}`);
  return { ok: true, value: { host, port } };
}

export const formatAddress = (a: ListenAddress): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/** Checks edge.json as parsed; every problem names the field. */
export function checkEdgeSettings(raw: unknown): Checked<EdgeSettings> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('must be a JSON object {http?, https?}');
  const out: EdgeSettings = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'version') continue;
    if (key === 'acme') {
      const a = checkAcmeSettings(value);
      if (!a.ok) return a;
      out.acme = a.value;
      continue;
    }
    if (key === 'certificates') {
      const c = checkCertificates(value);
      if (!c.ok) return c;
      if (c.value.length > 0) out.certificates = c.value;
      continue;
    }
    if (key !== 'http' && key !== 'https') return fail(`unknown field ${JSON.stringify(key)}`);
    if (typeof value !== 'string') return fail(`${key} must be a string ADDR:PORT`);
    const a = parseListenAddress(value);
    if (!a.ok) return fail(`${key}: ${a.message}`);
    out[key] = a.value;
  }
  if (out.http && out.https && out.http.port === out.https.port && (out.http.host === out.https.host || out.http.host === '0.0.0.0' || out.https.host === '0.0.0.0')) {
    return fail(`http and https cannot share port ${out.http.port}`);
  }
  if (out.https && !out.certificates && !out.acme) return fail('https needs certificates: slipway proxy certs add --cert FILE --key FILE, or ACME: slipway proxy listen --acme URL --acme-email ADDR');
  if (out.acme && !out.https) return fail('acme needs the https listener that serves its certificates: slipway proxy listen --https ADDR:PORT');
  if (out.acme?.challenge === 'http-01' && !out.http) return fail('the http-01 challenge is answered on the http listener: set one (slipway proxy listen --http ADDR:PORT) or use --acme-challenge tls-alpn-01');
  return { ok: true, value: out };
}

function checkCertificates(raw: unknown): Checked<CertFiles[]> {
  if (!Array.isArray(raw)) return fail('certificates must be an array of {cert, key}');
  const out: CertFiles[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c: unknown = raw[i];
    if (typeof c !== 'object' || c === null) return fail(`certificates[${i}] must be an object {cert, key}`);
    const { cert, key, ...rest } = c as Record<string, unknown>;
    if (Object.keys(rest).length > 0) return fail(`certificates[${i}]: unknown field ${JSON.stringify(Object.keys(rest)[0])}`);
    if (typeof cert !== 'string' || !path.isAbsolute(cert)) return fail(`certificates[${i}].cert must be an absolute path to a PEM certificate chain`);
    if (typeof key !== 'string' || !path.isAbsolute(key)) return fail(`certificates[${i}].key must be an absolute path to a PEM private key`);
    out.push({ cert, key });
  }
  return { ok: true, value: out };
}

/** The settings in the home; none when the file is absent. */
export function loadEdgeSettings(home: string): Checked<EdgeSettings> {
  const file = proxyFiles(home).edge;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: {} };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail(`${file} is not valid JSON (${(err as Error).message}); fix it or delete it`);
  }
  const r = checkEdgeSettings(parsed);
  return r.ok ? r : fail(`${file}: ${r.message}`);
}

export function saveEdgeSettings(home: string, settings: EdgeSettings): void {
  const body: Record<string, unknown> = { version: 1 };
  if (settings.http) body.http = formatAddress(settings.http);
  if (settings.https) body.https = formatAddress(settings.https);
  if (settings.certificates) body.certificates = settings.certificates;
  if (settings.acme) body.acme = acmeSettingsFile(settings.acme);
  fs.mkdirSync(proxyFiles(home).dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(proxyFiles(home).edge, `${JSON.stringify(body, null, 2)}\n`);
}
