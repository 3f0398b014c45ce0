// The certificates of the HTTPS listener: PEM files (certificate chain + private key) named in
// edge.json, each serving the names of its certificate (subjectAltName), chosen per connection by
// SNI. Files are re-read when they change (checked every second); a pair that does not load (a key
// that does not match its certificate, a damaged file) is refused with a clear error and the one
// loaded before keeps serving.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';

export interface CertFiles {
  cert: string;
  key: string;
}

/** What `slipway proxy status` shows of one certificate. */
export interface CertStatus {
  cert: string;
  /** The names it serves (empty until it has loaded once). */
  names: string[];
  notAfter?: string;
  /** Why the files on disk are not what is served (the previous version, or nothing, serves). */
  error?: string;
  /** Where it came from: a file named in edge.json, or issued over ACME. */
  source: 'file' | 'acme';
}

interface Loaded {
  context: tls.SecureContext;
  names: string[];
  notAfter: Date;
  notBefore: Date;
}

interface Entry {
  files: CertFiles;
  source: 'file' | 'acme';
  loaded?: Loaded;
  error?: string;
  /** mtime and size of both files when last read, to notice a change. */
  stamp: string;
}

export type LoadedPair = { ok: true; value: Loaded } | { ok: false; message: string };

/**
 * Reads and checks one certificate/key pair: the key must be the certificate's (its public half),
 * the certificate must name at least one DNS name. Example failure:
 * `/etc/shop/cert.pem does not match its key /etc/shop/key.pem (the key belongs to another certificate)`.
 */
export function loadPair(files: CertFiles): LoadedPair {
  let certPem: Buffer;
  let keyPem: Buffer;
  try {
    certPem = fs.readFileSync(files.cert);
    keyPem = fs.readFileSync(files.key);
  } catch (err) {
    return { ok: false, message: `cannot read ${(err as NodeJS.ErrnoException).path ?? files.cert}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (err) {
    return { ok: false, message: `${files.cert} is not a PEM certificate (${(err as Error).message})` };
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return { ok: false, message: `${files.key} is not a PEM private key (${(err as Error).message})` };
  }
  if (!x509.checkPrivateKey(key)) return { ok: false, message: `${files.cert} does not match its key ${files.key} (the key belongs to another certificate)` };
  const names = dnsNames(x509);
  if (names.length === 0) return { ok: false, message: `${files.cert} names no DNS name in its subjectAltName` };
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({ cert: certPem, key: keyPem });
  } catch (err) {
    return { ok: false, message: `${files.cert}: ${(err as Error).message}` };
  }
  return { ok: true, value: { context, names, notAfter: new Date(x509.validTo), notBefore: new Date(x509.validFrom) } };
}

/** The DNS names of a certificate's subjectAltName, lower-cased. */
export function dnsNames(x509: X509Certificate): string[] {
  const san = x509.subjectAltName ?? '';
  return san
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
}

const stampOf = (files: CertFiles): string => {
  try {
    const a = fs.statSync(files.cert);
    const b = fs.statSync(files.key);
    return `${a.mtimeMs}:${a.size}:${a.ino}/${b.mtimeMs}:${b.size}:${b.ino}`;
  } catch {
    return 'missing';
  }
};

export class CertStore {
  private entries: Entry[] = [];
  private exact = new Map<string, Entry>();
  private wild = new Map<string, Entry>();

  constructor(private readonly log: (line: string) => void) {}

  /** Adds a pair and loads it now; false (with the error recorded) when it does not load. */
  add(files: CertFiles, source: 'file' | 'acme'): boolean {
    let entry = this.entries.find((e) => e.files.cert === files.cert && e.files.key === files.key);
    if (!entry) {
      entry = { files, source, stamp: '' };
      this.entries.push(entry);
    }
    return this.reload(entry);
  }

  /** Re-reads the pairs named in edge.json whose files changed since they were last read (ACME's are reloaded by add). */
  recheck(): void {
    for (const e of this.entries) if (e.source === 'file' && stampOf(e.files) !== e.stamp) this.reload(e);
  }

  /** Where the certificate that serves `name` (exactly or by wildcard) came from; undefined when none does. */
  sourceFor(name: string): 'file' | 'acme' | undefined {
    return (this.exact.get(name) ?? this.wild.get(name.slice(name.indexOf('.') + 1)))?.source;
  }

  /** Why the pair of `files` was last refused, if it was. */
  errorOf(files: CertFiles): string | undefined {
    return this.entries.find((e) => e.files.cert === files.cert && e.files.key === files.key)?.error;
  }

  /** The context for an SNI name: an exact name first, then a wildcard one label up. */
  contextFor(servername: string): tls.SecureContext | undefined {
    const name = servername.toLowerCase().replace(/\.$/, '');
    const hit = this.exact.get(name) ?? this.wild.get(name.slice(name.indexOf('.') + 1));
    return hit?.loaded?.context;
  }

  /** The loaded certificate serving `name` exactly (for renewal decisions). */
  servingExactly(name: string): { notBefore: Date; notAfter: Date } | undefined {
    const l = this.exact.get(name)?.loaded;
    return l && { notBefore: l.notBefore, notAfter: l.notAfter };
  }

  status(): CertStatus[] {
    return this.entries.map((e) => {
      const s: CertStatus = { cert: e.files.cert, names: e.loaded?.names ?? [], source: e.source };
      if (e.loaded) s.notAfter = e.loaded.notAfter.toISOString();
      if (e.error !== undefined) s.error = e.error;
      return s;
    });
  }

  private reload(entry: Entry): boolean {
    entry.stamp = stampOf(entry.files);
    const r = loadPair(entry.files);
    if (!r.ok) {
      if (entry.error !== r.message) this.log(`certificate ${entry.files.cert} refused: ${r.message}${entry.loaded ? ' (the previous one keeps serving)' : ''}`);
      entry.error = r.message;
      return false;
    }
    const first = entry.loaded === undefined;
    entry.loaded = r.value;
    delete entry.error;
    this.index();
    this.log(`certificate ${entry.files.cert} ${first ? 'loaded' : 'reloaded'}: ${r.value.names.join(', ')} until ${r.value.notAfter.toISOString()}`);
    return true;
  }

  /** Name → entry; among several certificates for one name, the one valid longest wins. */
  private index(): void {
    const exact = new Map<string, Entry>();
    const wild = new Map<string, Entry>();
    for (const e of this.entries) {
      if (!e.loaded) continue;
      for (const n of e.loaded.names) {
        const [map, key] = n.startsWith('*.') ? [wild, n.slice(2)] : [exact, n];
        const held = map.get(key);
        if (!held?.loaded || held.loaded.notAfter < e.loaded.notAfter) map.set(key, e);
      }
    }
    this.exact = exact;
    this.wild = wild;
  }
}
