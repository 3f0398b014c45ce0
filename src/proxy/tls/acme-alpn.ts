// The TLS-ALPN-01 challenge (RFC 8737) on the shared HTTPS listener. The CA connects with SNI set to
// the name and ALPN offering only `acme-tls/1`, and expects a self-signed certificate carrying the
// key authorization. Node chooses a certificate (SNICallback) without seeing the ALPN list, so while
// a challenge is pending the listener reads each connection's ClientHello first: a hello for a
// pending name that offers `acme-tls/1` gets the challenge certificate and is closed after the
// handshake; every other connection goes on, bytes untouched, to the normal TLS server. With no
// challenge pending, connections go straight through (nothing is read ahead).

import type net from 'node:net';
import tls from 'node:tls';

export const ACME_TLS_ALPN = 'acme-tls/1';

/** What the challenge side of the listener needs: whether any challenge is pending, and its context for a name. */
export interface AlpnChallenges {
  pending(): boolean;
  contextFor(servername: string): tls.SecureContext | undefined;
}

export interface ClientHello {
  servername?: string;
  alpn: string[];
}

/** A ClientHello record fits in one TLS record (16 KiB) plus its 5-byte header. */
const MAX_RECORD = 16_384 + 5;
/** How long a connection may take to send its ClientHello while a challenge is pending. */
const HELLO_TIMEOUT_MS = 10_000;

/**
 * The SNI name and ALPN protocols of a TLS ClientHello at the start of `buf`: 'more' when the first
 * record is not complete yet, undefined when it is not a ClientHello this can read (then the
 * connection is left to the TLS server, which judges it).
 */
export function parseClientHello(buf: Buffer): ClientHello | 'more' | undefined {
  if (buf.length < 5) return buf.length === 0 || buf[0] === 0x16 ? 'more' : undefined;
  if (buf[0] !== 0x16) return undefined; // not a handshake record
  const recordLength = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLength) return 'more';
  const rec = buf.subarray(5, 5 + recordLength);
  if (rec.length < 4 || rec[0] !== 0x01) return undefined; // not a ClientHello
  const helloLength = (rec[1]! << 16) | (rec[2]! << 8) | rec[3]!;
  if (helloLength + 4 > rec.length) return undefined; // spread over several records: not read here
  let p = 4 + 2 + 32; // version, random
  const need = (n: number): boolean => p + n <= rec.length;
  if (!need(1)) return undefined;
  p += 1 + rec[p]!; // session id
  if (!need(2)) return undefined;
  p += 2 + rec.readUInt16BE(p); // cipher suites
  if (!need(1)) return undefined;
  p += 1 + rec[p]!; // compression methods
  const hello: ClientHello = { alpn: [] };
  if (!need(2)) return hello; // no extensions
  const end = Math.min(rec.length, p + 2 + rec.readUInt16BE(p));
  p += 2;
  while (p + 4 <= end) {
    const type = rec.readUInt16BE(p);
    const len = rec.readUInt16BE(p + 2);
    const body = rec.subarray(p + 4, Math.min(end, p + 4 + len));
    p += 4 + len;
    if (type === 0x0000 && body.length >= 5 && body[2] === 0) {
      const n = body.readUInt16BE(3);
      hello.servername = body.subarray(5, 5 + n).toString('latin1').toLowerCase();
    } else if (type === 0x0010 && body.length >= 2) {
      let q = 2;
      while (q < body.length) {
        const n = body[q]!;
        hello.alpn.push(body.subarray(q + 1, q + 1 + n).toString('latin1'));
        q += 1 + n;
      }
    }
  }
  return hello;
}

/**
 * Puts the challenge in front of `server`'s own connection handling (the TLS server's listener):
 * see the top of this file.
 */
export function answerAlpnChallenges(server: tls.Server, challenges: AlpnChallenges): void {
  const own = server.listeners('connection') as ((socket: net.Socket) => void)[];
  server.removeAllListeners('connection');
  const pass = (socket: net.Socket): void => {
    for (const l of own) l.call(server, socket);
  };
  server.on('connection', (socket: net.Socket) => {
    if (!challenges.pending()) return pass(socket);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    timer.unref();
    const finish = (hello: ClientHello | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.pause();
      const ctx = hello?.servername !== undefined && hello.alpn.includes(ACME_TLS_ALPN) ? challenges.contextFor(hello.servername) : undefined;
      socket.unshift(buf); // the TLS socket reads these bytes first (it drains what the socket holds)
      if (ctx) answer(socket, ctx);
      else pass(socket);
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const hello = parseClientHello(buf);
      if (hello === 'more' && buf.length < MAX_RECORD) return;
      finish(hello === 'more' ? undefined : hello);
    };
    const onError = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('error', onError);
  });
}

/** The challenge handshake: the key authorization's certificate, `acme-tls/1` only, then closed. */
function answer(socket: net.Socket, context: tls.SecureContext): void {
  const t = new tls.TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: [ACME_TLS_ALPN] });
  const timer = setTimeout(() => t.destroy(), HELLO_TIMEOUT_MS);
  timer.unref();
  t.on('secure', () => t.end());
  t.on('error', () => t.destroy());
  t.on('close', () => clearTimeout(timer));
  t.resume();
}
