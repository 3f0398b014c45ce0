// The proxy's admin API on its own loopback port: bearer-token authenticated (constant-time
// compare), JSON in and out, bad bodies 400 and oversize ones 413 with nothing changed. `/metrics`
// is open so Prometheus can scrape it without a token (it holds counts, never secrets).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EnvRouteStatus, MetricsSnapshot, ProxyFailure, ProxyHealth, ProxyResult } from '../ports/proxy.js';
import { PROMETHEUS_CONTENT_TYPE } from './exposition.js';
import { checkRouteEnv, checkEnvRoutes } from './validate.js';
import type { EnvRoutes } from '../ports/proxy.js';
import type { ProbeResult } from '../adapters/runtime/process/health.js';

/** Largest admin request body; route tables are small. */
export const MAX_ADMIN_BODY = 1024 * 1024;

/** What the admin API asks of the daemon. */
export interface AdminOps {
  health(): ProxyHealth;
  routes(): EnvRouteStatus[];
  setRoutes(env: string, routes: EnvRoutes): Promise<ProxyResult<EnvRouteStatus>>;
  removeEnv(env: string): Promise<ProxyResult<null>>;
  /** undefined when the environment is unknown. */
  inflight(env: string, release: string): number | undefined;
  metrics(env: string, since: number | undefined): MetricsSnapshot | undefined;
  prometheus(): string;
  upgrade(): Promise<ProxyResult<{ pid: number }>>;
  /** Starts a graceful stop; refused (busy) while the process is being replaced. */
  stop(): ProxyResult<null>;
  /** True once a successor has taken over: callers must reconnect to reach it. */
  replaced(): boolean;
  /**
   * One health probe of an app on this machine's loopback (GET http://127.0.0.1:port/path): how a
   * control plane on another machine checks a container it started here (docs/containers.md).
   */
  probe(port: number, path: string, timeoutMs: number): Promise<ProbeResult>;
}

const STATUS: Record<ProxyFailure['reason'], number> = {
  invalid: 400,
  port_taken: 409,
  domain_taken: 409,
  not_found: 404,
  busy: 409,
  failed: 500,
};

/**
 * The admin request handler for `token`. `trusted`: the handler of the admin socket
 * (`--admin-socket`), whose file mode (0600) is the authentication, as for Docker's socket: no token.
 */
export function adminHandler(token: string, ops: AdminOps, opts: { trusted?: boolean } = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = createHash('sha256').update(token).digest();
  const authorized = (req: IncomingMessage): boolean => {
    if (opts.trusted === true) return true;
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    // Hashing first gives equal lengths, so the compare takes the same time whatever was sent.
    return timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  };
  return (req, res) => {
    route(req, res, ops, authorized).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { reason: 'failed', message: (err as Error).message } });
      else res.destroy();
    });
  };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  ops: AdminOps,
  authorized: (req: IncomingMessage) => boolean,
): Promise<void> {
  if (ops.replaced()) {
    // A successor holds the port now; this old process only finishes what it has.
    res.setHeader('x-slipway-proxy', 'replaced');
    res.setHeader('connection', 'close');
    return send(res, 503, failure('busy', 'this proxy process has been replaced: reconnect'));
  }
  const url = new URL(req.url ?? '/', 'http://admin');
  const method = req.method ?? 'GET';
  if (url.pathname === '/metrics' && method === 'GET') {
    res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
    res.end(ops.prometheus());
    return;
  }
  if (!authorized(req)) {
    res.setHeader('www-authenticate', 'Bearer');
    return send(res, 401, failure('invalid', 'missing or wrong bearer token (see <home>/proxy/token)'));
  }
  const envMatch = /^\/v1\/routes\/([^/]+)$/.exec(url.pathname);
  if (envMatch) {
    const env = checkRouteEnv(decodeURIComponent(envMatch[1]!));
    if (!env.ok) return send(res, 400, failure('invalid', env.message));
    if (method === 'PUT') {
      const body = await readJson(req);
      if (!body.ok) return send(res, body.status, failure('invalid', body.message));
      const routes = checkEnvRoutes(body.value);
      if (!routes.ok) return send(res, 400, failure('invalid', routes.message));
      return reply(res, await ops.setRoutes(env.value, routes.value));
    }
    if (method === 'DELETE') return reply(res, await ops.removeEnv(env.value));
    return notAllowed(res, 'PUT, DELETE');
  }
  switch (url.pathname) {
    case '/v1/health':
      return method === 'GET' ? send(res, 200, ops.health()) : notAllowed(res, 'GET');
    case '/v1/routes':
      return method === 'GET' ? send(res, 200, { envs: ops.routes() }) : notAllowed(res, 'GET');
    case '/v1/inflight': {
      if (method !== 'GET') return notAllowed(res, 'GET');
      const env = url.searchParams.get('env') ?? '';
      const release = url.searchParams.get('release') ?? '';
      if (env === '' || release === '') return send(res, 400, failure('invalid', 'query needs env= and release='));
      const n = ops.inflight(env, release);
      if (n === undefined) return send(res, 404, failure('not_found', `no environment ${JSON.stringify(env)}`));
      return send(res, 200, { env, release, inflight: n });
    }
    case '/v1/metrics': {
      if (method !== 'GET') return notAllowed(res, 'GET');
      const env = url.searchParams.get('env') ?? '';
      if (env === '') return send(res, 400, failure('invalid', 'query needs env='));
      const sinceRaw = url.searchParams.get('since');
      const since = sinceRaw === null ? undefined : Number(sinceRaw);
      if (since !== undefined && (!Number.isFinite(since) || since < 0)) {
        return send(res, 400, failure('invalid', 'since must be a time in ms since the epoch'));
      }
      const snap = ops.metrics(env, since);
      if (snap === undefined) return send(res, 404, failure('not_found', `no environment ${JSON.stringify(env)}`));
      return send(res, 200, snap);
    }
    case '/v1/probe': {
      if (method !== 'POST') return notAllowed(res, 'POST');
      const body = await readJson(req);
      if (!body.ok) return send(res, body.status, failure('invalid', body.message));
      const p = checkProbe(body.value);
      if (!p.ok) return send(res, 400, failure('invalid', p.message));
      return send(res, 200, await ops.probe(p.port, p.path, p.timeoutMs));
    }
    case '/v1/upgrade':
      if (method !== 'POST') return notAllowed(res, 'POST');
      res.setHeader('connection', 'close'); // the successor answers from now on
      return reply(res, await ops.upgrade());
    case '/v1/stop':
      if (method !== 'POST') return notAllowed(res, 'POST');
      res.setHeader('connection', 'close');
      return reply(res, ops.stop());
    default:
      return send(res, 404, failure('not_found', `no such endpoint: ${method} ${url.pathname}`));
  }
}

/** The body of `POST /v1/probe`: a loopback port, a path, and a timeout of at most a minute. */
function checkProbe(v: unknown): { ok: true; port: number; path: string; timeoutMs: number } | { ok: false; message: string } {
  const b = (typeof v === 'object' && v !== null ? v : {}) as { port?: unknown; path?: unknown; timeoutMs?: unknown };
  if (typeof b.port !== 'number' || !Number.isInteger(b.port) || b.port < 1 || b.port > 65535) return { ok: false, message: 'port must be a port number' };
  if (typeof b.path !== 'string' || !/^\/[\x21-\x7e]*$/.test(b.path) || b.path.length > 2048) return { ok: false, message: 'path must start with / and hold no spaces or control characters' };
  if (typeof b.timeoutMs !== 'number' || !Number.isInteger(b.timeoutMs) || b.timeoutMs < 1 || b.timeoutMs > 60_000) return { ok: false, message: 'timeoutMs must be a whole number of ms between 1 and 60000' };
  return { ok: true, port: b.port, path: b.path, timeoutMs: b.timeoutMs };
}

const failure = (reason: ProxyFailure['reason'], message: string) => ({ error: { reason, message } });

function reply<T>(res: ServerResponse, result: ProxyResult<T>): void {
  if (result.ok) send(res, 200, result.value ?? { ok: true });
  else send(res, STATUS[result.reason], failure(result.reason, result.message));
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  send(res, 405, failure('invalid', `method not allowed here; use ${allow}`));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

type Body = { ok: true; value: unknown } | { ok: false; status: number; message: string };

/**
 * Reads a JSON body of at most MAX_ADMIN_BODY bytes. An oversize body is read to its end and
 * dropped (not cut off), so the client gets its 413 instead of a reset connection.
 */
function readJson(req: IncomingMessage): Promise<Body> {
  const tooBig: Body = { ok: false, status: 413, message: `body larger than ${MAX_ADMIN_BODY} bytes` };
  if (Number(req.headers['content-length'] ?? 0) > MAX_ADMIN_BODY) {
    req.resume();
    return Promise.resolve(tooBig);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ADMIN_BODY) chunks.push(chunk);
    });
    req.on('error', (err) => resolve({ ok: false, status: 400, message: `body could not be read: ${err.message}` }));
    req.on('end', () => {
      if (size > MAX_ADMIN_BODY) return resolve(tooBig);
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch (err) {
        resolve({ ok: false, status: 400, message: `body is not valid JSON: ${(err as Error).message}` });
      }
    });
  });
}
