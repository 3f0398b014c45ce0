// The control plane's HTTP server: loopback only, every request authenticated (the home's token, or
// a named API token whose role must allow the route: server/auth.ts).
import { STATUS_CODES, createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { roleAllows } from '../core/auth/tokens.js';
import { runAs, type Authenticate } from './auth.js';
import { HttpError, Reply, STREAMED, readJsonBody, requestUrl, sendError, sendJson, type Router } from './http.js';
import { handleGitHttp, type GitHttpOptions } from './git-http.js';
import { serveWebAsset } from './routes-web.js';

export interface ApiServer {
  server: Server | TlsServer;
  port: number;
  close(): Promise<void>;
}

/** Server mode: the router of the app a path names (`/v1/apps/<app>/…`), with the path it sees (`/v1/…`). */
export type Mount = (path: string) => { router: Router | undefined; path: string; app: string } | undefined;

/** What a token scoped to one app may call outside that app: who it is, and the list of apps. */
const SCOPED_ELSEWHERE = new Set(['GET /v1/health', 'GET /v1/apps', 'GET /v1/whoami']);

/**
 * Serves the API (and the git endpoint). With `tls` (server mode, `--tls-*`), over HTTPS only:
 * the token never crosses a network in clear text.
 */
export const startApiServer = async (root: Router, authenticate: Authenticate, host = '127.0.0.1', port = 0, git?: GitHttpOptions, mount?: Mount, tls?: SecureContextOptions): Promise<ApiServer> => {
  const listener: RequestListener = (raw, res) => {
    let router = root;
    // The dashboard's files (/, /assets/…) hold no data and need no token: the page asks for one.
    if (serveWebAsset(raw, res)) return;
    // git's smart HTTP (/git/<app>.git/…) checks its own credentials (HTTP Basic, git's credential
    // flow) before it reads anything or runs git.
    if (git && handleGitHttp(raw, res, git)) return;
    const answer = (out: unknown): void => {
      if (out === STREAMED) return;
      if (out instanceof Reply) sendJson(res, out.status, router.mask(out.body));
      else sendJson(res, 200, router.mask(out));
    };
    const handle = async (): Promise<void> => {
      const method = raw.method ?? 'GET';
      const url = requestUrl(raw);
      // Authentication comes first: a request without the token learns nothing (not even which
      // routes exist) and has no body read. Hooks, found by their exact path, check their own.
      const mounted = mount?.(url.pathname);
      const hook = mounted ? mounted.router?.hookAt(method, mounted.path) : router.hookAt(method, url.pathname);
      const bearer = /^Bearer (.+)$/i.exec(raw.headers.authorization ?? '')?.[1];
      if (hook) {
        if (mounted?.router) router = mounted.router;
        return answer(await hook({ method, path: url.pathname, params: {}, query: url.searchParams, raw, body: () => readJsonBody(raw) }, res));
      }
      const who = await authenticate(bearer);
      if (!who.ok) throw new HttpError(401, who.message);
      let path = url.pathname;
      if (mounted) {
        if (who.principal.app !== undefined && who.principal.app !== mounted.app) throw new HttpError(403, `the token "${who.principal.name}" is scoped to the app "${who.principal.app}", not "${mounted.app}"`);
        if (!mounted.router) throw new HttpError(404, `no app "${mounted.app.slice(0, 80)}" on this server: create it with \`slipway apps create NAME\`; \`slipway apps ls\` lists them`);
        router = mounted.router;
        path = mounted.path;
      } else if (who.principal.app !== undefined && !SCOPED_ELSEWHERE.has(`${method} ${path}`)) {
        throw new HttpError(403, `the token "${who.principal.name}" is scoped to the app "${who.principal.app}": ${method} ${path} is the server's`);
      }
      const m = router.match(method, path);
      if (m === undefined) throw new HttpError(404, `no route ${method} ${url.pathname}`);
      if (m === 'method') throw new HttpError(405, `${method} is not allowed on ${url.pathname}`);
      // The role is checked before the body is read or anything is looked up.
      if (!roleAllows(who.principal.role, m.role)) throw new HttpError(403, `${method} ${url.pathname} needs the ${m.role} role; the token "${who.principal.name}" has ${who.principal.role}`);
      const out = await runAs(who.principal, () => m.handler({ method, path, params: m.params, query: url.searchParams, raw, body: () => readJsonBody(raw) }, res));
      answer(out);
    };
    handle().catch((e: unknown) => {
      // The unread body of a refused request is not waited for: the connection closes after the answer.
      if (!raw.complete && !res.headersSent) res.setHeader('connection', 'close');
      sendError(res, e, router.mask);
    });
  };
  const server = tls ? createTlsServer(tls, listener) : createServer(listener);
  server.on('clientError', answerClientError);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    server,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

/**
 * A request Node cannot parse (a malformed request line or header, headers too large, too slow)
 * gets the API's JSON error too, instead of Node's bare status line.
 */
const answerClientError = (err: NodeJS.ErrnoException, socket: Duplex): void => {
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || answering) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const code = status === 431 ? 'too_large' : status === 408 ? 'timeout' : 'usage';
  const message = status === 431 ? 'the request headers are too large' : status === 408 ? 'the request was not received in time' : 'the request is not valid HTTP';
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`);
};
