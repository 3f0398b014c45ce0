// The control plane's HTTP server: loopback only, every request authenticated with the token
// from the Slipway home.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tokenMatches } from '../home/token.js';
import { HttpError, Reply, STREAMED, readJsonBody, sendError, sendJson, type Router } from './http.js';
import { handleGitHttp, type GitHttpOptions } from './git-http.js';

export interface ApiServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export const startApiServer = async (router: Router, token: string, host = '127.0.0.1', port = 0, git?: GitHttpOptions): Promise<ApiServer> => {
  const server = createServer((raw, res) => {
    // git's smart HTTP (/git/<app>.git/…) has its own authentication (HTTP Basic, git's credential flow).
    if (git && handleGitHttp(raw, res, git)) return;
    const url = new URL(raw.url ?? '/', 'http://localhost');
    const handle = async (): Promise<void> => {
      const m = router.match(raw.method ?? 'GET', url.pathname);
      const bearer = /^Bearer (.+)$/i.exec(raw.headers.authorization ?? '')?.[1];
      if (!(typeof m === 'object' && m.ownAuth) && !tokenMatches(bearer, token)) throw new HttpError(401, 'missing or wrong token; the CLI reads it from the Slipway home');
      if (m === undefined) throw new HttpError(404, `no route ${raw.method} ${url.pathname}`);
      if (m === 'method') throw new HttpError(405, `${raw.method} is not allowed on ${url.pathname}`);
      const out = await m.handler(
        { method: raw.method ?? 'GET', path: url.pathname, params: m.params, query: url.searchParams, raw, body: () => readJsonBody(raw) },
        res,
      );
      if (out === STREAMED) return;
      if (out instanceof Reply) sendJson(res, out.status, router.mask(out.body));
      else sendJson(res, 200, router.mask(out));
    };
    handle().catch((e: unknown) => sendError(res, e, router.mask));
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
