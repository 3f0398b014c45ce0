// The control plane's own TLS (`slipway server --tls-cert/--tls-key` or `--tls-self-signed`): the
// certificate and key it serves the API and the git endpoint with, checked before it listens (a
// key that is not the certificate's is refused), the SHA-256 fingerprint clients pin, a
// self-signed pair generated once into the server's home (by openssl, key 0600), and files
// re-read when they change (a renewed certificate is served without a restart).
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { SlipwayError } from '../core/errors.js';

export interface TlsFiles {
  cert: string;
  key: string;
}

export interface ServerTls {
  files: TlsFiles;
  cert: Buffer;
  key: Buffer;
  /** `sha256:` and 64 lower-case hex digits: what `slipway login --fingerprint` takes. */
  fingerprint: string;
  /** The DNS names and IP addresses of its subjectAltName. */
  names: string[];
  notAfter: Date;
  selfSigned: boolean;
}

const FINGERPRINT = /^sha256:((?:[0-9a-f]{2}:?){31}[0-9a-f]{2})$/i;

/** `sha256:ab12…` from a certificate's fingerprint256 (`AB:12:…`). */
export const fingerprintOf = (fingerprint256: string): string => `sha256:${fingerprint256.replace(/:/g, '').toLowerCase()}`;

/**
 * A fingerprint as typed: `sha256:` and 64 hex digits, colons between the pairs allowed (openssl's
 * `-fingerprint -sha256` prints them so); normalised to `sha256:` and lower-case hex without colons.
 */
export const parseFingerprint = (text: string): string => {
  const m = FINGERPRINT.exec(text.trim());
  const hex = m?.[1]?.replace(/:/g, '');
  if (hex?.length !== 64) throw new SlipwayError('usage', `a fingerprint is "sha256:" and 64 hex digits (colons between pairs allowed), not "${text.slice(0, 120)}"`, 'the server prints it when it starts; `openssl x509 -noout -fingerprint -sha256 -in CERT` shows it too');
  return `sha256:${hex.toLowerCase()}`;
};

/** One spelling per name: lower case, an IPv6 address compressed (`0:0:…:1` is `::1`). */
const canonicalName = (n: string): string => (isIP(n) === 6 ? new URL(`http://[${n}]/`).hostname.slice(1, -1) : n.toLowerCase());

/** The DNS names and IP addresses a certificate is for. */
export const namesOf = (x509: X509Certificate): string[] =>
  (x509.subjectAltName ?? '')
    .split(', ')
    .map((s) => /^(?:DNS:(.+)|IP Address:(.+))$/.exec(s))
    .flatMap((m) => (m ? [canonicalName(m[1] ?? m[2] ?? '')] : []));

/**
 * Reads and checks a pair. Bad forms, each named: a file that cannot be read, a certificate or key
 * that is not PEM, and a key that is not the certificate's ("… does not match its key …").
 */
export const loadServerTls = (files: TlsFiles): ServerTls => {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new SlipwayError('config', `cannot read the TLS ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const cert = read(files.cert, 'certificate');
  const key = read(files.key, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new SlipwayError('config', `${files.cert} is not a PEM certificate (${(e as Error).message})`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new SlipwayError('config', `${files.key} is not a PEM private key (${(e as Error).message})`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new SlipwayError('config', `${files.cert} does not match its key ${files.key} (the key belongs to another certificate)`, 'give the key that was made with this certificate');
  return {
    files,
    cert,
    key,
    fingerprint: fingerprintOf(x509.fingerprint256),
    names: namesOf(x509),
    notAfter: new Date(x509.validTo),
    selfSigned: x509.checkIssued(x509) && x509.verify(x509.publicKey),
  };
};

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * `--tls-names a,b`: DNS names (lower case) or IP addresses. Anything else is refused by name: they
 * become openssl's subjectAltName, where a comma or a `DNS:` of one's own must never get through.
 */
export const parseTlsNames = (text: string): string[] => {
  const names = text.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (names.length === 0) throw new SlipwayError('usage', '--tls-names needs at least one DNS name or IP address, separated by commas');
  for (const n of names) {
    if (isIP(n) === 0 && !DNS_NAME.test(n)) throw new SlipwayError('usage', `--tls-names: "${n.slice(0, 80)}" is neither a DNS name nor an IP address`, 'e.g. --tls-names slipway.example.com,203.0.113.7');
  }
  return [...new Set(names)];
};

/** The names a self-signed certificate is made for: those asked for, the listen address, and loopback. */
export const selfSignedNames = (host: string, asked: string[]): string[] => {
  const names = new Set<string>(asked);
  const unspecified = host === '0.0.0.0' || host === '::' || host === '';
  if (!unspecified) names.add(host === 'localhost' ? 'localhost' : host.toLowerCase());
  else {
    // Every address of this machine a client may use, and its host name.
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal && !a.address.startsWith('fe80')) names.add(a.address);
    const h = hostname().toLowerCase();
    if (DNS_NAME.test(h)) names.add(h);
  }
  for (const n of ['localhost', '127.0.0.1', '::1']) names.add(n);
  return [...names];
};

const SELF_SIGNED_DAYS = 3650;

/**
 * The server's self-signed pair under DIR/tls/ (made once, key 0600; made again only when a name
 * asked for is missing from it, which changes the fingerprint: every client logs in again).
 * Answers the pair and whether it was made now.
 */
export const ensureSelfSigned = (home: string, names: string[]): { tls: ServerTls; made: boolean } => {
  const dir = join(home, 'tls');
  const files: TlsFiles = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  if (existsSync(files.cert) && existsSync(files.key)) {
    const tls = loadServerTls(files);
    if (names.every((n) => tls.names.includes(canonicalName(n)))) return { tls, made: false };
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const scratch = mkdtempSync(join(dir, '.new-'));
  try {
    const san = names.map((n) => (isIP(n) === 0 ? `DNS:${n}` : `IP:${n}`)).join(',');
    const cn = names.find((n) => isIP(n) === 0 && n !== 'localhost') ?? 'slipway';
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', String(SELF_SIGNED_DAYS), '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`, '-keyout', join(scratch, 'server.key'), '-out', join(scratch, 'server.crt')],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (r.error) throw new SlipwayError('unavailable', `cannot make a self-signed certificate: openssl could not be run (${r.error.message})`, 'install it (`apt-get install openssl`), or give a certificate with --tls-cert FILE --tls-key FILE');
    if (r.status !== 0) throw new SlipwayError('failed', `openssl could not make a self-signed certificate: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    chmodSync(join(scratch, 'server.key'), 0o600);
    renameSync(join(scratch, 'server.key'), files.key);
    renameSync(join(scratch, 'server.crt'), files.cert);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { tls: loadServerTls(files), made: true };
};

/** Node's options for a TLS server of this pair: HTTP/1.1 only, TLS 1.2 at least. */
export const secureOptions = (tls: ServerTls): SecureContextOptions & { ALPNProtocols: string[] } => ({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] });

const stampOf = (files: TlsFiles): string => {
  try {
    return [files.cert, files.key].map((f) => { const s = statSync(f); return `${s.mtimeMs}:${s.size}`; }).join(' ');
  } catch {
    return 'missing';
  }
};

/**
 * Checks the files every `intervalMs` and, when they changed and load as a matching pair, gives
 * them to `apply` (a server's setSecureContext). A pair that does not load is logged once per change,
 * and the one served before keeps serving.
 */
export const watchServerTls = (current: ServerTls, apply: (next: ServerTls) => void, log: (line: string) => void, intervalMs = 5000): { stop: () => void } => {
  let stamp = stampOf(current.files);
  const timer = setInterval(() => {
    const now = stampOf(current.files);
    if (now === stamp) return;
    stamp = now;
    try {
      const next = loadServerTls(current.files);
      apply(next);
      log(`TLS: ${current.files.cert} changed: now serving it (fingerprint ${next.fingerprint}, valid until ${next.notAfter.toISOString()})`);
    } catch (e) {
      log(`TLS: ${current.files.cert} changed but does not load, the certificate loaded before keeps serving: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};
