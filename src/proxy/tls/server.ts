// The shared HTTPS listener: TLS with a certificate chosen by SNI, HTTP/2 or HTTP/1.1 by ALPN
// (node:http2 with allowHTTP1), and the same handler as plain HTTP. How it stops mirrors
// listener.ts: HTTP/2 sessions get a GOAWAY (their open streams finish), HTTP/1.1 connections are
// asked to close on their next answer and closed once idle.

import http2 from 'node:http2';
import net from 'node:net';
import type tls from 'node:tls';
import { KEEP_ALIVE_MS, LISTENER_LIMITS, type RequestHandler } from '../listener.js';
import { answerAlpnChallenges, type AlpnChallenges } from './acme-alpn.js';
import type { CertStore } from './certs.js';

export interface HttpsServer {
  readonly server: http2.Http2SecureServer;
  /** Stops accepting; sessions close when their streams end; everything is gone by `deadlineMs`. */
  retire(idleGraceMs?: number, deadlineMs?: number): Promise<void>;
}

/**
 * Creates the HTTPS server; `certs` is consulted on every handshake, so a reload applies at once.
 * With `challenges` (ACME with TLS-ALPN-01), a pending challenge is answered before TLS proper.
 */
export function createHttpsServer(handler: RequestHandler, certs: CertStore, challenges?: AlpnChallenges): HttpsServer {
  const sessions = new Set<http2.Http2Session>();
  /** HTTP/1.1 sockets and their requests in flight. */
  const h1 = new Map<net.Socket, number>();
  const server = http2.createSecureServer(
    {
      allowHTTP1: true,
      SNICallback: (servername, cb) => {
        const ctx = certs.contextFor(servername);
        if (ctx) cb(null, ctx);
        else cb(new Error(`no certificate for ${servername}`));
      },
      // Limits as on the plain listeners (listener.ts).
      maxSessionMemory: 64,
      peerMaxConcurrentStreams: 256,
    },
    (req, res) => {
      if (req.httpVersionMajor === 1) {
        const sock = req.socket;
        h1.set(sock, (h1.get(sock) ?? 0) + 1);
        res.once('close', () => h1.set(sock, (h1.get(sock) ?? 1) - 1));
      }
      handler(req as never, res as never);
    },
  );
  if (challenges) answerAlpnChallenges(server, challenges);
  server.maxConnections = LISTENER_LIMITS.maxConnections;
  server.setTimeout(LISTENER_LIMITS.requestTimeoutMs);
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  server.on('secureConnection', (sock: tls.TLSSocket) => {
    if (sock.alpnProtocol === 'h2') return;
    h1.set(sock, 0);
    sock.once('close', () => h1.delete(sock));
    // As Node's HTTP/1.1 server does: an idle keep-alive connection goes after KEEP_ALIVE_MS.
    sock.setTimeout(LISTENER_LIMITS.requestTimeoutMs);
  });
  // A failed handshake (no certificate for the name, a scanner) is the client's: nothing to log.
  server.on('tlsClientError', () => undefined);

  const retire = (idleGraceMs = KEEP_ALIVE_MS, deadlineMs = 60_000): Promise<void> =>
    new Promise((resolve) => {
      const closeIdle = () => {
        for (const [sock, n] of h1) if (n <= 0) sock.destroy();
      };
      const idle = setTimeout(closeIdle, idleGraceMs);
      const sweep = setInterval(closeIdle, 250);
      const deadline = setTimeout(() => {
        for (const s of sessions) s.destroy();
        for (const sock of h1.keys()) sock.destroy();
      }, deadlineMs);
      idle.unref();
      sweep.unref();
      deadline.unref();
      const done = () => {
        clearTimeout(idle);
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      };
      for (const s of sessions) s.close();
      if (!server.listening) {
        server.getConnections((_e, n) => (n === 0 ? done() : server.once('close', done)));
        return;
      }
      server.once('close', done);
      net.Server.prototype.close.call(server);
    });
  return { server, retire };
}
