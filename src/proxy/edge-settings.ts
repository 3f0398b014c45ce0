// The proxy's shared listeners (`slipway proxy --http ADDR:PORT --https ADDR:PORT`), kept in
// `<home>/proxy/edge.json` so that a restart, an on-demand start or an upgrade serves them again.
// Absent file: no shared listener, only the port of each environment (local mode).

import fs from 'node:fs';
import { isIP } from 'node:net';
import { writeFileAtomic } from '../adapters/fs/files.js';
import { proxyFiles } from '../ports/proxy.js';
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
    if (key !== 'http' && key !== 'https') return fail(`unknown field ${JSON.stringify(key)}`);
    if (typeof value !== 'string') return fail(`${key} must be a string ADDR:PORT`);
    const a = parseListenAddress(value);
    if (!a.ok) return fail(`${key}: ${a.message}`);
    out[key] = a.value;
  }
  if (out.http && out.https && out.http.port === out.https.port && (out.http.host === out.https.host || out.http.host === '0.0.0.0' || out.https.host === '0.0.0.0')) {
    return fail(`http and https cannot share port ${out.http.port}`);
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
  fs.mkdirSync(proxyFiles(home).dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(proxyFiles(home).edge, `${JSON.stringify(body, null, 2)}\n`);
}
