// How the CLI trusts a Slipway server over HTTPS: the public CAs (nothing pinned), a CA of its own
// (`slipway login --ca FILE`), or the exact certificate (`--fingerprint sha256:…`). A pinned
// fingerprint is checked right after the handshake, before a byte of the request (and so the
// token) is written; a certificate that does not match is refused with both fingerprints named.
// Loaded only for an https:// server: local mode never pays for node:https.
import { Agent, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { SlipwayError } from '../core/errors.js';

export interface Trust {
  /** PEM certificates of the CA(s) that sign the server's certificate. */
  ca?: string;
  /** `sha256:` and 64 lower-case hex: the server's own certificate. */
  fingerprint?: string;
}

/** `sha256:ab12…` of a peer certificate (the same form as server/tls.ts's fingerprintOf). */
export const peerFingerprint = (cert: PeerCertificate): string => `sha256:${cert.fingerprint256.replace(/:/g, '').toLowerCase()}`;

/** The error of a certificate that is not the pinned one: nothing was sent. */
export const pinMismatch = (where: string, got: string, pinned: string): SlipwayError =>
  new SlipwayError(
    'refused',
    `the server at ${where} presented a certificate with fingerprint ${got}, not the pinned ${pinned}: refused, the token was not sent`,
    'if the server’s certificate was replaced on purpose, read the new fingerprint where the server runs (its log, or `openssl x509 -noout -fingerprint -sha256 -in DIR/tls/server.crt`) and log in again with `slipway login URL --fingerprint sha256:…`',
  );

/** An agent that hands a socket to a request only once its certificate is the pinned one. */
class PinnedAgent extends Agent {
  constructor(private readonly fingerprint: string) {
    super({ keepAlive: true });
  }

  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = options.host ?? options.hostname ?? 'localhost';
    const socket: TLSSocket = connect({
      host,
      port: Number(options.port ?? 443),
      // The certificate is checked by its fingerprint below, which is stricter than a CA and a name.
      rejectUnauthorized: false,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ALPNProtocols: ['http/1.1'],
    });
    const onError = (e: Error): void => callback?.(e, socket);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      const got = peerFingerprint(socket.getPeerCertificate());
      if (got !== this.fingerprint) {
        socket.destroy();
        callback?.(pinMismatch(`${host}:${String(options.port ?? 443)}`, got, this.fingerprint), socket);
        return;
      }
      callback?.(null, socket);
    });
    return undefined;
  }
}

const agents = new Map<string, Agent>();

/** The agent of a trust (one per trust, kept alive for the process's requests). */
export const agentFor = (trust: Trust): Agent => {
  const key = trust.fingerprint ?? trust.ca ?? '';
  let agent = agents.get(key);
  if (!agent) {
    agent = trust.fingerprint !== undefined ? new PinnedAgent(trust.fingerprint) : new Agent({ keepAlive: true, ...(trust.ca !== undefined ? { ca: trust.ca } : {}) });
    agents.set(key, agent);
  }
  return agent;
};

export interface Presented {
  /** Whether the certificate is trusted by the public CAs (or `ca`) for that name. */
  trusted: boolean;
  /** Why not, as TLS says it (`self-signed certificate`, `unable to verify…`). */
  reason?: string;
  fingerprint: string;
  /** The leaf certificate, PEM; whether it is self-signed (it can then serve as git's CA). */
  pem: string;
  selfSigned: boolean;
  subject: string;
  validTo: string;
}

const pemOf = (raw: Buffer): string => `-----BEGIN CERTIFICATE-----\n${raw.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

/** Connects without sending anything and answers what certificate the server presents. */
export const presentedCertificate = (url: URL, ca?: string): Promise<Presented> =>
  new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = connect({ host, port: Number(url.port || 443), rejectUnauthorized: false, ...(isIP(host) === 0 ? { servername: host } : {}), ...(ca !== undefined ? { ca } : {}), ALPNProtocols: ['http/1.1'] });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no TLS handshake within 10 s')));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(true);
      const reason = socket.authorized ? undefined : String(socket.authorizationError);
      socket.destroy();
      const issuer = (cert.issuerCertificate as PeerCertificate | undefined) ?? cert;
      resolve({
        trusted: socket.authorized,
        ...(reason !== undefined ? { reason } : {}),
        fingerprint: peerFingerprint(cert),
        pem: pemOf(cert.raw),
        selfSigned: issuer.fingerprint256 === cert.fingerprint256,
        subject: String(cert.subject?.CN ?? ''),
        validTo: cert.valid_to,
      });
    });
  });
