// Certificates issued and renewed over ACME (RFC 8555) for the names the proxy serves, with
// acme-client speaking to the CA. One certificate per name (a wildcard needs DNS-01, which the
// proxy does not answer; a name already served by a PEM file is left to it). The proxy answers the
// challenges itself: HTTP-01 on its HTTP listener at /.well-known/acme-challenge/ (never routed to
// an app, never redirected), TLS-ALPN-01 on its HTTPS listener (acme-alpn.ts).
//
// Files, all 0600 in a 0700 directory: <home>/proxy/acme/account.key (the account's key; the CA
// knows the account by it), <home>/proxy/acme/certs/<name>.key and .crt (a fresh key each time).
// A name is due as acme-plan.ts says (at once, then at 2/3 of its certificate's lifetime); one name
// is worked on at a time. A failure leaves the certificate that serves in place, is shown by the
// proxy's status, recorded in the audit trail and retried with backoff.

import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import type * as Acme from 'acme-client';
import { writeFileAtomic } from '../../adapters/fs/files.js';
import type { AcmeNameStatus, AcmeStatus } from '../../ports/proxy.js';
import type { AcmeRecorder } from './acme-audit.js';
import type { AlpnChallenges } from './acme-alpn.js';
import { nextAttemptAt, nextDue, renewAt, retryAfterFailure, type NameTiming } from './acme-plan.js';
import { readCaFile, type AcmeSettings } from './acme-settings.js';
import type { CertFiles, CertStore } from './certs.js';

/** The path of HTTP-01 challenges on the HTTP listener. */
export const ACME_CHALLENGE_PATH = '/.well-known/acme-challenge/';
/** How often the names are compared with what is served and due work is started. */
const TICK_MS = 1000;
/** A name usable as a file name and an ACME identifier (the proxy's domains are checked already). */
const PLAIN_NAME = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

interface NameState extends NameTiming {
  name: string;
  serial?: string;
  issuing: boolean;
  lastError?: string;
  lastAttemptAt?: number;
}

export interface AcmeManagerOptions {
  home: string;
  settings: AcmeSettings;
  certs: CertStore;
  /** Every domain the proxy serves now (wildcards included; they are skipped). */
  domains: () => Iterable<string>;
  log: (line: string) => void;
  record: AcmeRecorder;
}

export const acmeDir = (home: string): string => path.join(home, 'proxy', 'acme');

export class AcmeManager implements AlpnChallenges {
  private readonly names = new Map<string, NameState>();
  /** HTTP-01: token → key authorization, while its challenge is pending. */
  private readonly tokens = new Map<string, string>();
  /** TLS-ALPN-01: name → the challenge certificate's context, while pending. */
  private readonly alpn = new Map<string, tls.SecureContext>();
  private readonly skipped = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private working: Promise<void> | undefined;
  private stopped = false;
  private client: Promise<Acme.Client> | undefined;

  constructor(private readonly opts: AcmeManagerOptions) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    this.tick();
  }

  /**
   * Starts nothing new. An attempt under way is not waited for (it may poll the CA for a while):
   * the process exits after its drain, and the successor, or the next start, tries again.
   */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** The challenge type answered (TLS-ALPN-01 needs the HTTPS listener's help). */
  get settingsChallenge(): AcmeSettings['challenge'] {
    return this.opts.settings.challenge;
  }

  pending(): boolean {
    return this.alpn.size > 0;
  }

  contextFor(servername: string): tls.SecureContext | undefined {
    return this.alpn.get(servername);
  }

  /** Answers a request for the HTTP-01 path: the key authorization of a pending token, else 404. */
  answerHttp01(req: http.IncomingMessage, res: http.ServerResponse): void {
    const token = (req.url ?? '').slice(ACME_CHALLENGE_PATH.length).split('?')[0] ?? '';
    const body = this.tokens.get(token);
    const text = body ?? 'no such ACME challenge\n';
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  }

  status(): AcmeStatus {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const names = [...this.names.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s): AcmeNameStatus => {
      const out: AcmeNameStatus = {
        name: s.name,
        state: s.issuing ? 'issuing' : s.lastError !== undefined ? 'failing' : s.notAfter !== undefined ? 'valid' : 'waiting',
        failures: s.failures,
        nextAttemptAt: new Date(nextAttemptAt(s)).toISOString(),
      };
      if (s.serial !== undefined) out.serial = s.serial;
      if (s.notAfter !== undefined) out.notAfter = iso(s.notAfter);
      if (s.notAfter !== undefined) out.renewAt = iso(renewAt(s));
      if (s.lastError !== undefined) out.error = s.lastError;
      if (s.lastAttemptAt !== undefined) out.lastAttemptAt = iso(s.lastAttemptAt);
      return out;
    });
    return { directory: this.opts.settings.directory, challenge: this.opts.settings.challenge, names };
  }

  private tick(): void {
    if (this.stopped || this.working) return;
    this.refreshNames();
    const due = nextDue(this.names.values(), Date.now());
    if (!due) return;
    this.working = this.attempt(due).finally(() => (this.working = undefined));
  }

  /** Follows the served domains: a new name is taken (with its certificate from disk, if any), a gone one dropped. */
  private refreshNames(): void {
    const wanted = new Set<string>();
    for (const d of this.opts.domains()) {
      if (d.startsWith('*.') || !PLAIN_NAME.test(d)) {
        if (!this.skipped.has(d)) this.opts.log(`ACME: ${d} is not requested (a wildcard needs a DNS-01 challenge, which the proxy does not answer): give it a certificate file`);
        this.skipped.add(d);
        continue;
      }
      if (this.opts.certs.sourceFor(d) === 'file') continue;
      wanted.add(d);
    }
    for (const name of this.names.keys()) if (!wanted.has(name)) this.names.delete(name);
    for (const name of wanted) {
      if (this.names.has(name)) continue;
      const state: NameState = { name, failures: 0, issuing: false };
      const files = this.filesOf(name);
      if (fs.existsSync(files.cert) && fs.existsSync(files.key) && this.opts.certs.add(files, 'acme')) this.noteCertificate(state, files);
      this.names.set(name, state);
    }
  }

  private filesOf(name: string): CertFiles {
    const dir = path.join(acmeDir(this.opts.home), 'certs');
    return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  }

  private noteCertificate(state: NameState, files: CertFiles): void {
    const x509 = new X509Certificate(fs.readFileSync(files.cert));
    state.serial = x509.serialNumber.toLowerCase();
    state.notBefore = Date.parse(x509.validFrom);
    state.notAfter = Date.parse(x509.validTo);
  }

  /** One attempt at `state`'s name; never throws (a failure is recorded on the state). */
  private async attempt(state: NameState): Promise<void> {
    const { name } = state;
    const renewal = state.serial !== undefined;
    const previous = state.serial;
    state.issuing = true;
    state.lastAttemptAt = Date.now();
    try {
      const { cert, key } = await this.order(name);
      if (this.stopped) return; // replaced or stopping: the process that serves now decides
      const files = this.filesOf(name);
      fs.mkdirSync(path.dirname(files.cert), { recursive: true, mode: 0o700 });
      writeFileAtomic(files.key, key, 0o600);
      writeFileAtomic(files.cert, cert, 0o600);
      if (!this.opts.certs.add(files, 'acme')) throw new Error(`the issued certificate does not load: ${this.opts.certs.errorOf(files) ?? 'unknown error'}`);
      this.noteCertificate(state, files);
      state.failures = 0;
      delete state.retryAt;
      delete state.lastError;
      const data = { names: [name], serial: state.serial, notAfter: new Date(state.notAfter!).toISOString(), challenge: this.opts.settings.challenge, directory: this.opts.settings.directory, ...(renewal ? { previous } : {}) };
      this.opts.log(`ACME: ${renewal ? 'renewed' : 'issued'} the certificate of ${name} (serial ${state.serial}, until ${data.notAfter})`);
      await this.opts.record({ kind: renewal ? 'certificate.renewed' : 'certificate.issued', subject: name, data });
    } catch (err) {
      // The next attempt registers the account again (an existing one is found by its key): an ACME
      // server that lost it — restored from a backup, or a test CA restarted — would otherwise
      // refuse every later order of this process with "account does not exist".
      this.client = undefined;
      state.failures++;
      state.lastError = describe(err, name, this.opts.settings.directory);
      const now = Date.now();
      state.retryAt = retryAfterFailure(state, state.failures, now, this.opts.settings.retryMs);
      const serving = state.serial === undefined ? 'no certificate serves it yet' : `the certificate ${state.serial} keeps serving until ${new Date(state.notAfter!).toISOString()}`;
      this.opts.log(`ACME: ${state.lastError}; ${serving}; attempt ${state.failures}, next at ${new Date(state.retryAt).toISOString()}`);
      await this.opts.record({
        kind: 'certificate.failed',
        subject: name,
        data: { names: [name], error: state.lastError, attempt: state.failures, retryAt: new Date(state.retryAt).toISOString(), renewal, serving: state.serial ?? null, directory: this.opts.settings.directory },
      });
    } finally {
      state.issuing = false;
    }
  }

  /** Orders a certificate for `name`: a fresh key, the challenge answered, the chain downloaded. */
  private async order(name: string): Promise<{ cert: string; key: Buffer }> {
    const acme = await loadAcme();
    const client = await this.account();
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, key);
    const order = await client.createOrder({ identifiers: [{ type: 'dns', value: name }] });
    for (const authz of await client.getAuthorizations(order)) await this.authorize(acme, client, authz);
    const finalized = await client.finalizeOrder(order, csr);
    const cert = await client.getCertificate(finalized);
    return { cert, key };
  }

  /** Answers one authorization's challenge of the configured type while the CA validates it. */
  private async authorize(acme: typeof Acme, client: Acme.Client, authz: Acme.Authorization): Promise<void> {
    if (authz.status === 'valid') return;
    const name = authz.identifier.value;
    const type = this.opts.settings.challenge;
    const challenge = authz.challenges.find((c) => c.type === type);
    if (!challenge) throw new Error(`the CA offers no ${type} challenge for ${name} (it offers ${authz.challenges.map((c) => c.type).join(', ') || 'none'})`);
    const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
    if (type === 'http-01') this.tokens.set(challenge.token, keyAuthorization);
    else {
      const [k, c] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
      this.alpn.set(name, tls.createSecureContext({ key: k, cert: c }));
    }
    try {
      await client.completeChallenge(challenge);
      await client.waitForValidStatus(challenge);
    } catch (err) {
      await client.deactivateAuthorization(authz).catch(() => undefined);
      throw err;
    } finally {
      this.tokens.delete(challenge.token);
      this.alpn.delete(name);
    }
  }

  /** The ACME client with the account registered (once per process; again after a failure). */
  private account(): Promise<Acme.Client> {
    this.client ??= (async () => {
      const acme = await loadAcme();
      const { settings } = this.opts;
      const ca = settings.ca === undefined ? undefined : readCaFile(settings.ca);
      if (ca && !ca.ok) throw new Error(ca.message);
      // acme-client's HTTP client is one per module (and this process has one ACME setting): the
      // CA file is trusted for the directory only; acme-client's own retries are off (ours back off
      // for minutes, not seconds), and no request waits more than 30 s.
      acme.axios.defaults.httpsAgent = new https.Agent({ keepAlive: true, ...(ca?.ok ? { ca: [...tls.rootCertificates, ca.value] } : {}) });
      acme.axios.defaults.timeout = 30_000;
      acme.axios.defaults.proxy = false;
      (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number } }).acmeSettings!.retryMaxAttempts = 0;
      const client = new acme.Client({ directoryUrl: settings.directory, accountKey: await this.accountKey(acme), backoffAttempts: 12, backoffMin: 250, backoffMax: 5000 });
      await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${settings.email}`] });
      return client;
    })();
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  private async accountKey(acme: typeof Acme): Promise<Buffer> {
    const file = path.join(acmeDir(this.opts.home), 'account.key');
    try {
      return fs.readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    writeFileAtomic(file, key, 0o600);
    return key;
  }
}

let acmeModule: Promise<typeof Acme> | undefined;
/** acme-client, loaded when ACME is on (it is large, and most proxies never need it). */
const loadAcme = (): Promise<typeof Acme> => (acmeModule ??= import('acme-client'));

/** One line for status and the audit trail: what failed, for which name, at which CA. */
function describe(err: unknown, name: string, directory: string): string {
  const e = err as { message?: string; code?: string };
  const why = (e.message ?? String(err)).replace(/\s+/g, ' ').trim().slice(0, 500) || (e.code ?? 'unknown error');
  return `ACME order for ${name} at ${directory} failed: ${why}`;
}
