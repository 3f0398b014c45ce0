// One listening HTTP server (an environment's port, or the admin port) and how it stops: it stops
// accepting, asks clients on open keep-alive connections to reconnect (`Connection: close` on their
// next answer), lets idle connections go after a grace, and is gone when its last request ends.

import http from 'node:http';
import net from 'node:net';

/** Node closes a keep-alive connection idle this long; it says so in `Keep-Alive: timeout=5`. */
export const KEEP_ALIVE_MS = 5_000;

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** What one slow or greedy client may hold of a listener. */
export interface ListenerLimits {
  /** A client must send its whole request head within this (then 408 and the connection closes). */
  headersTimeoutMs: number;
  /** … and its whole request, body included, within this. */
  requestTimeoutMs: number;
  /** Connections open at once; beyond it a new connection is closed at once. */
  maxConnections: number;
  /** How often Node looks for connections past those timeouts. */
  checkIntervalMs: number;
}

/** The limits of every listener of the proxy (docs/security.md, "Edge proxy"). */
export const LISTENER_LIMITS: ListenerLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, maxConnections: 4096, checkIntervalMs: 1000 };

/** Creates a server tuned for proxying; `handler` runs for every request. */
export function createListener(handler: RequestHandler, limits: ListenerLimits = LISTENER_LIMITS): http.Server {
  const server = http.createServer(
    {
      keepAlive: true,
      noDelay: true,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // WebSocket and other upgrades are not proxied: refuse them plainly rather than hang.
  server.on('upgrade', (_req, socket: net.Socket) => {
    socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  // A malformed request (or one too slow: the limits above) is answered here, before any handler.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable) return void socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.end('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  return server;
}

export type ListenResult = { ok: true } | { ok: false; taken: boolean; message: string };

/** Listens on `port`; a port already taken is an expected failure with a message naming it. */
export function listenOn(server: net.Server, port: number, host: string): Promise<ListenResult> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const message =
        err.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use by another process`
          : err.code === 'EACCES'
            ? `port ${port} on ${host} needs privileges this process does not have`
            : `cannot listen on ${host}:${port}: ${err.message}`;
      resolve({ ok: false, taken: err.code === 'EADDRINUSE', message });
    };
    const onListening = () => {
      server.off('error', onError);
      resolve({ ok: true });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, exclusive: true });
  });
}

/** Listens on a listening socket handed over by the previous proxy process. */
export function listenOnHandle(server: net.Server, handle: net.Server): Promise<ListenResult> {
  return new Promise((resolve) => {
    server.once('error', (err) => resolve({ ok: false, taken: false, message: `cannot take over a listening socket: ${err.message}` }));
    server.listen(handle, () => resolve({ ok: true }));
  });
}

/**
 * Stops accepting connections without touching open ones. `http.Server#close` would also close
 * idle keep-alive connections at once, which races with a client sending its next request on one
 * (8 failed requests in 64 000 measured, REFERENCE.md); the plain `net.Server` close does not.
 */
export function stopAccepting(server: http.Server): void {
  if (!server.listening) return;
  net.Server.prototype.close.call(server);
}

/** How long a replaced process relays requests on busy connections before asking them to close. */
export const RELAY_MS = 30_000;

/**
 * Retires a server after an upgrade without closing a connection a client may be using: idle ones
 * go when Node's keep-alive timer closes them (idle ≥ KEEP_ALIVE_MS, as announced to clients),
 * busy ones stay until they go idle. Only after RELAY_MS does `onDeadline` run (the caller then
 * asks for `Connection: close`), and after a further minute the rest is closed.
 */
export function retireQuietly(server: http.Server, onDeadline: () => void): Promise<void> {
  return new Promise((resolve) => {
    const soft = setTimeout(() => {
      onDeadline();
      hard.refresh();
    }, RELAY_MS);
    const hard = setTimeout(() => server.closeAllConnections(), RELAY_MS + 60_000);
    soft.unref();
    hard.unref();
    server.once('close', () => {
      clearTimeout(soft);
      clearTimeout(hard);
      resolve();
    });
    stopAccepting(server);
  });
}

/**
 * Retires a server: the caller has set its listener's `draining` flag (so answers carry
 * `Connection: close`); this stops accepting, closes connections left idle after `idleGraceMs`,
 * forces the rest after `deadlineMs`, and resolves once every connection is gone.
 */
export function retire(server: http.Server, idleGraceMs = KEEP_ALIVE_MS, deadlineMs = 60_000): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(idle);
      clearTimeout(deadline);
      resolve();
    };
    const idle = setTimeout(() => server.closeIdleConnections(), idleGraceMs);
    const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
    idle.unref();
    deadline.unref();
    if (!server.listening) {
      // Never listened, or already closed: nothing to wait for beyond open connections.
      server.getConnections((_e, n) => (n === 0 ? done() : server.once('close', done)));
      server.closeIdleConnections();
      return;
    }
    server.once('close', done);
    stopAccepting(server);
  });
}
