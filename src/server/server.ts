// The control plane's HTTP server: loopback only, every request authenticated (the home's token, or
// a named API token whose role must allow the route: server/auth.ts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { roleAllows } from '../core/auth/tokens.js';
import { runAs, type Authenticate } from './auth.js';
import { HttpError, Reply, STREAMED, readJsonBody, requestUrl, sendError, sendJson, type Router } from './http.js';
import { handleGitHttp, type GitHttpOptions } from './git-http.js';

export interface ApiServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export const startApiServer = async (router: Router, authenticate: Authenticate, host = '127.0.0.1', port = 0, git?: GitHttpOptions): Promise<ApiServer> => {
  const server = createServer((raw, res) => {
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
      const hook = router.hookAt(method, url.pathname);
      const bearer = /^Bearer (.+)$/i.exec(raw.headers.authorization ?? '')?.[1];
      if (hook) return answer(await hook({ method, path: url.pathname, params: {}, query: url.searchParams, raw, body: () => readJsonBody(raw) }, res));
      const who = await authenticate(bearer);
      if (!who.ok) throw new HttpError(401, who.message);
      const m = router.match(method, url.pathname);
      if (m === undefined) throw new HttpError(404, `no route ${method} ${url.pathname}`);
      if (m === 'method') throw new HttpError(405, `${method} is not allowed on ${url.pathname}`);
      // The role is checked before the body is read or anything is looked up.
      if (!roleAllows(who.principal.role, m.role)) throw new HttpError(403, `${method} ${url.pathname} needs the ${m.role} role; the token "${who.principal.name}" has ${who.principal.role}`);
      const out = await runAs(who.principal, () => m.handler({ method, path: url.pathname, params: m.params, query: url.searchParams, raw, body: () => readJsonBody(raw) }, res));
      answer(out);
    };
    handle().catch((e: unknown) => {
      // The unread body of a refused request is not waited for: the connection closes after the answer.
      if (!raw.complete && !res.headersSent) res.setHeader('connection', 'close');
      sendError(res, e, router.mask);
    });
  });
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
