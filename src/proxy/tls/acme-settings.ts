// The ACME settings of the proxy (`slipway proxy listen --acme URL --acme-email ADDR …`), kept in
// edge.json beside the listeners: which CA issues the certificates of the names the proxy serves,
// the contact sent with the account, the challenge it answers, how soon it retries a failure, and
// (for a test CA such as pebble) a CA certificate to trust for the directory's HTTPS only.

import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Checked } from '../validate.js';

export type AcmeChallengeType = 'http-01' | 'tls-alpn-01';

export interface AcmeSettings {
  /** The CA's directory URL (https only), e.g. https://acme-v02.api.letsencrypt.org/directory. */
  directory: string;
  /** The account's contact, sent to the CA as mailto:. */
  email: string;
  /** A PEM file of CA certificates trusted for the directory's HTTPS, besides the system's (absolute path). */
  ca?: string;
  /** How the proxy proves it serves a name: on its HTTP listener (port 80) or its HTTPS listener (port 443). */
  challenge: AcmeChallengeType;
  /** The first wait after a failed attempt; each further failure doubles it, up to an hour. */
  retryMs: number;
}

/** How edge.json writes them. */
export interface AcmeSettingsFile {
  directory: string;
  email: string;
  ca?: string;
  challenge: AcmeChallengeType;
  retry: string;
}

export const DEFAULT_RETRY = '60s';
export const CHALLENGES: readonly AcmeChallengeType[] = ['http-01', 'tls-alpn-01'];
const MAX_RETRY_MS = 3_600_000;

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/** `https://…` with a host, no user or password in it; example failure: `"http://ca.test/dir" must be an https:// URL`. */
export function checkDirectory(text: string): Checked<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`${JSON.stringify(text.slice(0, 200))} is not a URL: give the CA's ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory`);
  }
  if (text.length > 2048) return fail('the directory URL is longer than 2048 characters');
  if (url.protocol !== 'https:') return fail(`${JSON.stringify(text)} must be an https:// URL (ACME is spoken over HTTPS only)`);
  if (url.username !== '' || url.password !== '') return fail('the directory URL must not carry a user or password');
  return { ok: true, value: url.href };
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function checkEmail(text: string): Checked<string> {
  if (text.length > 254 || !EMAIL.test(text)) return fail(`${JSON.stringify(text.slice(0, 254))} is not an email address such as ops@shop.example.com`);
  return { ok: true, value: text };
}

/** `30s`, `5min`, `1h` → milliseconds, from 1 s to 1 h. */
export function parseRetry(text: string): Checked<number> {
  const m = /^(\d{1,7})(s|min|h)$/.exec(text);
  const expected = 'expected a duration from 1s to 1h such as 30s, 5min or 1h';
  if (!m) return fail(`${JSON.stringify(text.slice(0, 40))} is not a retry delay: ${expected}`);
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'min' ? 60_000 : 3_600_000);
  if (ms < 1000 || ms > MAX_RETRY_MS) return fail(`retry ${text} is out of range: ${expected}`);
  return { ok: true, value: ms };
}

export const formatRetry = (ms: number): string => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}min` : `${Math.round(ms / 1000)}s`);

/** Checks edge.json's `acme` object as parsed; every problem names the field. */
export function checkAcmeSettings(raw: unknown): Checked<AcmeSettings> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('acme must be an object {directory, email, challenge?, ca?, retry?}');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!['directory', 'email', 'ca', 'challenge', 'retry'].includes(key)) return fail(`acme: unknown field ${JSON.stringify(key)}`);
  }
  if (typeof r.directory !== 'string') return fail('acme.directory must be the https:// URL of the CA’s ACME directory');
  const directory = checkDirectory(r.directory);
  if (!directory.ok) return fail(`acme.directory: ${directory.message}`);
  if (typeof r.email !== 'string') return fail('acme.email must be a contact email address');
  const email = checkEmail(r.email);
  if (!email.ok) return fail(`acme.email: ${email.message}`);
  const challenge = r.challenge ?? 'http-01';
  if (typeof challenge !== 'string' || !CHALLENGES.includes(challenge as AcmeChallengeType)) return fail(`acme.challenge must be one of ${CHALLENGES.join(', ')}`);
  const retry = parseRetry(typeof r.retry === 'string' ? r.retry : r.retry === undefined ? DEFAULT_RETRY : '?');
  if (!retry.ok) return fail(`acme.retry: ${retry.message}`);
  const out: AcmeSettings = { directory: directory.value, email: email.value, challenge: challenge as AcmeChallengeType, retryMs: retry.value };
  if (r.ca !== undefined) {
    if (typeof r.ca !== 'string' || !path.isAbsolute(r.ca)) return fail('acme.ca must be an absolute path to a PEM file of CA certificates');
    out.ca = r.ca;
  }
  return { ok: true, value: out };
}

export function acmeSettingsFile(s: AcmeSettings): AcmeSettingsFile {
  return { directory: s.directory, email: s.email, ...(s.ca ? { ca: s.ca } : {}), challenge: s.challenge, retry: formatRetry(s.retryMs) };
}

/**
 * The CA certificates of `file` as PEM text, each checked: for the directory's HTTPS only (never
 * for the certificates the proxy serves). Example failure: `/tmp/root.pem holds no PEM certificate`.
 */
export function readCaFile(file: string): Checked<string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return fail(`cannot read the ACME CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return fail(`${file} holds no PEM certificate`);
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch (err) {
      return fail(`${file} holds a damaged certificate (${(err as Error).message})`);
    }
  }
  return { ok: true, value: blocks.join('\n') };
}
