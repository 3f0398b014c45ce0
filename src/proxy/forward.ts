// The data plane's hot path: one proxied request, streamed both ways through an undici pool. The
// table is read once per request (an atomic switch), a failed connection is retried once on
// another instance when that is safe, and the outcome lands in the release's metrics.
// Written for speed: one object per request, no closures, no logging.

import { describeRoute } from '../core/edge/route-key.js';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { EnvStats } from './metrics.js';
import { pickBackend, pickInstance, type RouteBackend, type RouteInstance, type RouteTable } from './table.js';

/** What an environment's listeners read on every request; `table` is replaced whole, never edited. */
export interface EnvRuntime {
  readonly name: string;
  table: RouteTable;
  readonly stats: EnvStats;
  /**
   * Edge mode (a public listener): forwarding headers from clients are not believed.
   * `X-Forwarded-For` is replaced by the peer's address, `Forwarded` and `X-Real-IP` are removed.
   */
  edge: boolean;
}

/**
 * One listening server of an environment, or an environment's view of a shared listener (routed
 * by Host). `draining` asks clients to reconnect (to a successor).
 */
export interface ListenerState {
  readonly env: EnvRuntime;
  draining: boolean;
  /** The scheme clients used, told to the app in `X-Forwarded-Proto`; `http` when absent. */
  readonly proto?: 'http' | 'https';
  /** Edge mode of a shared listener; when absent, the environment's own (`env.edge`). */
  readonly edge?: boolean;
}

const kExchange = Symbol('slipway.exchange');
type ProxiedResponse = ServerResponse & { [kExchange]?: Exchange };

const WAITING = 0; // dispatched, no response byte yet
const STREAMING = 1; // response headers written to the client
const DONE = 2;

/** Upstream failures after which the request provably never reached the application. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
/**
 * undici's refusals of a request it was handed: header values, a path or a body length that the
 * client got wrong. The client's mistake, answered 400 and never counted against a release.
 */
const CLIENT_FAULT = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);
/** Failures of a reused connection that the upstream closed as the request was sent. */
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

/** Request headers that describe one connection, not the message (RFC 9110 §7.6.1), and ones we set. */
const DROP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'expect', // Node's server has already answered 100-continue; undici refuses the header
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** Flags of copyHeaders. */
const HAS_BODY = 1;
const TWO_HOSTS = 2;

/** The usual `Connection` values, which list no other header. */
const PLAIN_CONNECTION = /^\s*(keep-alive|close)\s*$/i;

const timeOrigin = performance.timeOrigin;

/**
 * Synthetic probes of verification are pinned to the release under test with the header
 * `x-slipway-probe: <release>;<key>`, where the key derives from the admin token (so only Slipway
 * can pin); they are counted in that release's metrics like any request. Set once at start.
 */
let probeKey: Buffer | undefined;
export function setProbeKey(key: string): void {
  probeKey = Buffer.from(key);
}

/** The probe key, compared in constant time (its length is fixed and public). */
function probeKeyMatches(given: string): boolean {
  if (probeKey === undefined) return false;
  const b = Buffer.from(given);
  return b.length === probeKey.length && timingSafeEqual(b, probeKey);
}

function pinnedBackend(table: RouteTable, header: string | string[] | undefined): RouteBackend | undefined {
  if (probeKey === undefined || typeof header !== 'string') return undefined;
  const sep = header.indexOf(';');
  if (sep < 0 || !probeKeyMatches(header.slice(sep + 1))) return undefined;
  const release = header.slice(0, sep);
  return table.backends.find((b) => b.release === release && b.instances.length > 0);
}

/** Serves one request on an environment's port. */
export function handleRequest(ls: ListenerState, req: IncomingMessage, res: ServerResponse): void {
  const start = performance.now();
  const headers: string[] = [];
  const flags = copyHeaders(ls.edge ?? ls.env.edge, ls.proto ?? 'http', req, headers);
  if ((flags & TWO_HOSTS) !== 0) {
    badRequest(ls, res, 'two Host headers');
    return;
  }
  const pin = req.headers['x-slipway-probe'];
  const backend = (pin === undefined ? undefined : pinnedBackend(ls.env.table, pin)) ?? pickBackend(ls.env.table, Math.random());
  if (backend === undefined) {
    noBackend(ls, res);
    return;
  }
  const ex = new Exchange(ls, req, res, backend, start, headers, (flags & HAS_BODY) !== 0);
  (res as ProxiedResponse)[kExchange] = ex;
  res.on('close', onClientClose); // `on`, not `once`: a response closes once, and no wrapper is allocated
  ex.send(pickInstance(backend));
}

/** Whether to ask the client to reconnect: only HTTP/1 has `Connection` (HTTP/2 refuses the header). */
const closeAfter = (ls: ListenerState, res: ServerResponse): boolean => ls.draining && res.req.httpVersionMajor === 1;

function noBackend(ls: ListenerState, res: ServerResponse): void {
  ls.env.stats.unrouted++;
  const body = `slipway proxy: no release is routed to ${describeRoute(ls.env.name)} yet\n`;
  res.writeHead(503, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': '1',
    ...(closeAfter(ls, res) ? { connection: 'close' } : {}),
  });
  res.end(body);
}

/**
 * A request the client got wrong: 400, the connection closed, and counted apart from every
 * release (so that no stranger can make a healthy release look broken to verification).
 */
function badRequest(ls: ListenerState, res: ServerResponse, why: string): void {
  ls.env.stats.rejected++;
  const body = `slipway proxy: bad request (${why})\n`;
  res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(res.req.httpVersionMajor === 1 ? { connection: 'close' } : {}) });
  res.end(body);
}

/**
 * Builds the upstream headers of a request into `out`; returns HAS_BODY and TWO_HOSTS flags. Every
 * `Connection` header's tokens are hop-by-hop; the probe header never reaches the app.
 */
function copyHeaders(edge: boolean, proto: string, req: IncomingMessage, out: string[]): number {
  const raw = req.rawHeaders;
  let flags = 0;
  let forwardedFor: string | undefined;
  let host: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    let name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === 58 /* ':' */) {
      // HTTP/2 pseudo-headers: `:authority` is the Host of HTTP/1.1; the others are in req already.
      if (name !== ':authority') continue;
      name = 'host';
    }
    if (name.length <= 19) {
      const lower = name.toLowerCase();
      if (DROP_REQUEST.has(lower)) {
        if (lower === 'connection') connection = connection === undefined ? value : `${connection},${value}`;
        continue;
      }
      switch (lower) {
        case 'transfer-encoding': // undici chunks a streamed body itself
          flags |= HAS_BODY;
          continue;
        case 'content-length':
          if (value !== '0') flags |= HAS_BODY;
          break;
        case 'host':
          if (host !== undefined) return flags | TWO_HOSTS;
          host = value;
          break;
        case 'x-forwarded-for':
          if (!edge) forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
          continue;
        case 'forwarded':
        case 'x-real-ip':
          if (edge) continue;
          break;
        case 'x-forwarded-proto':
        case 'x-forwarded-host':
        case 'x-slipway-probe':
          continue;
      }
    }
    out.push(name, value);
  }
  if (connection !== undefined && !PLAIN_CONNECTION.test(connection)) dropListed(out, connection);
  const client = req.socket.remoteAddress ?? '';
  out.push('x-forwarded-for', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  out.push('x-forwarded-proto', proto);
  if (host !== undefined) out.push('x-forwarded-host', host);
  return flags;
}

function onClientClose(this: ProxiedResponse): void {
  this[kExchange]?.clientClosed();
}

function onClientDrain(this: ProxiedResponse): void {
  this[kExchange]?.resumeUpstream?.();
}

/** One request's journey; it is also the undici dispatch handler (the native callback style). */
class Exchange implements Dispatcher.DispatchHandler {
  private instance!: RouteInstance;
  private state = WAITING;
  private status = 0;
  private attempts = 0;
  private abort: ((err?: Error) => void) | null = null;
  private clientGone = false;
  resumeUpstream: (() => void) | null = null;

  constructor(
    private readonly ls: ListenerState,
    private readonly req: IncomingMessage,
    private readonly res: ProxiedResponse,
    private backend: RouteBackend,
    private readonly start: number,
    private readonly headers: string[],
    private readonly hasBody: boolean,
  ) {
    backend.stats.inflight++;
  }

  send(instance: RouteInstance): void {
    this.instance = instance;
    this.attempts++;
    instance.upstream.inflight++;
    instance.upstream.pool.dispatch(
      {
        path: this.req.url ?? '/',
        method: this.req.method ?? 'GET',
        headers: this.headers,
        body: this.hasBody ? this.req : null,
      },
      this,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.clientGone) abort(new Error('client closed the connection'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // informational: the client gets the final answer only
    const out: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toString('latin1');
      if (name.length <= 17 && DROP_RESPONSE.has(name.toLowerCase())) continue;
      out.push(name, rawHeaders[i + 1]!.toString('latin1'));
    }
    if (closeAfter(this.ls, this.res)) out.push('connection', 'close');
    // Before the state changes: a header Node refuses to send makes this throw, and the request
    // then ends as a 502 (undici turns the throw into onError) rather than a cut connection.
    this.res.writeHead(statusCode, out);
    this.state = STREAMING;
    this.status = statusCode;
    this.resumeUpstream = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', onClientDrain);
    return false;
  }

  onComplete(): void {
    if (this.state === DONE) return;
    this.res.end();
    this.finish(this.status);
  }

  onError(err: Error): void {
    if (this.state === DONE) return;
    const { upstream } = this.instance;
    upstream.inflight--;
    // The client closed, or broke off its own body: its doing, not the release's.
    if (this.clientGone || (this.req.destroyed && !this.req.complete)) {
      this.finishAfterRelease(499);
      return;
    }
    const code = (err as { code?: string }).code ?? '';
    if (this.state === WAITING && CLIENT_FAULT.has(code) && !this.res.headersSent) {
      this.state = DONE;
      this.res[kExchange] = undefined;
      this.backend.stats.inflight--;
      badRequest(this.ls, this.res, err.message);
      return;
    }
    if (this.state === WAITING && this.attempts < 2 && this.mayRetry(err)) {
      this.retry();
      return;
    }
    this.backend.stats.upstreamErrors++;
    if (this.state === STREAMING || this.res.headersSent || this.res.destroyed) {
      this.res.destroy(); // a truncated answer must not look complete
    } else {
      const body = `slipway proxy: upstream ${this.instance.id} of release ${this.backend.release} failed (${code || err.name})\n`;
      this.res.writeHead(502, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        ...(closeAfter(this.ls, this.res) ? { connection: 'close' } : {}),
      });
      this.res.end(body);
    }
    this.finishAfterRelease(502);
  }

  /**
   * Safe to send again: the connection was never made, or it was a reused one that failed before
   * any response byte and the request is idempotent or its body has not been read yet.
   */
  private mayRetry(err: Error): boolean {
    const code = (err as { code?: string }).code ?? '';
    if (NOT_CONNECTED.has(code)) return !this.hasBody || !this.req.readableDidRead;
    if (!RESET.has(code)) return false;
    if (this.req.destroyed) return false;
    const m = this.req.method;
    return m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || (this.hasBody && !this.req.readableDidRead);
  }

  /** Sends the request again, on the table now in force, avoiding the instance that failed. */
  private retry(): void {
    const failed = this.instance.upstream;
    const next = pickBackend(this.ls.env.table, Math.random()) ?? this.backend;
    if (next !== this.backend) {
      this.backend.stats.inflight--;
      next.stats.inflight++;
      this.backend = next;
    }
    this.abort = null;
    this.send(pickInstance(next, failed));
  }

  clientClosed(): void {
    if (this.state === DONE) return;
    this.clientGone = true;
    if (this.abort !== null) this.abort(new Error('client closed the connection'));
  }

  private finish(status: number): void {
    this.instance.upstream.inflight--;
    this.finishAfterRelease(status);
  }

  private finishAfterRelease(status: number): void {
    this.state = DONE;
    this.res[kExchange] = undefined;
    const now = performance.now();
    const stats = this.backend.stats;
    stats.inflight--;
    stats.record(status, now - this.start, timeOrigin + now);
  }
}

/** Removes the headers a `Connection` header lists as hop-by-hop (rare: a slow path). */
function dropListed(out: string[], connection: string): void {
  const listed = new Set(
    connection
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive'),
  );
  if (listed.size === 0) return;
  for (let i = out.length - 2; i >= 0; i -= 2) {
    if (listed.has(out[i]!.toLowerCase())) out.splice(i, 2);
  }
}
