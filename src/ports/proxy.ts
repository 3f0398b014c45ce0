// The proxy port: what the control plane needs from the edge proxy (SPEC §5, §7). The proxy is a
// separate long-lived daemon; the adapter in adapters/proxy/ talks to its admin API. The types here
// are also the admin API's wire format, shared by both processes.
import { createHash } from 'node:crypto';
import type { HostDownPolicy, HostSpec } from '../core/config/types.js';

/** One running process of a release, reachable over plain HTTP on loopback. */
export interface ProxyInstance {
  /** Stable id, unique within its release (e.g. `web-1`). */
  id: string;
  /** Origin only: `http://127.0.0.1:PORT` (no path, no query). */
  url: string;
  /** Several hosts: the host it runs on (its `url` is on that host); never sent to a proxy. */
  host?: string;
}

/** One release in an environment's routing table. */
export interface ProxyBackend {
  release: string;
  /** The artifact digest of the release, kept for the record; not used to route. */
  digest?: string;
  /**
   * Share of new requests, a fraction; the weights of one table sum to 1. A weight of 0 keeps the
   * release warm (its instances stay in the table) without sending it new requests: rolling back
   * to it is then a pointer swap.
   */
  weight: number;
  instances: ProxyInstance[];
}

/** The desired routes of one environment: the body of `PUT /v1/routes/:env`. */
export interface EnvRoutes {
  port: number;
  /** Interface to listen on; `127.0.0.1` when absent. */
  host?: string;
  /**
   * Edge mode: clients' forwarding headers are not believed (`X-Forwarded-For` is replaced by the
   * peer address; `Forwarded` and `X-Real-IP` are removed). Default: on for any host that is not
   * a loopback address (a public listener), off on loopback (behind another proxy of yours).
   */
  edge?: boolean;
  /**
   * Host names routed to this environment on the proxy's shared listeners (`*.x` covers every name
   * below x; the exact name wins, then the longest wildcard). A domain belongs to one environment:
   * a claim of another's is refused (`domain_taken`). The environment keeps its own port too.
   */
  domains?: string[];
  backends: ProxyBackend[];
  /**
   * Several hosts (`hosts:`): the routes go to each host's own proxy, in order, each with the
   * instances on that host only, and never to this machine's proxy. `onDown`: what a host whose
   * proxy does not answer does (`wait`: up to `waitMs`, then as `rollback`); never sent to a proxy.
   */
  hosts?: { list: HostSpec[]; onDown: HostDownPolicy; waitMs: number };
}

/** What a route change did on one host of several, in order. */
export interface RouteHostReport {
  host: string;
  state: 'routed' | 'down' | 'waiting' | 'skipped' | 'restored';
  message?: string;
}

/** Whether an environment's listener is in edge mode (see `EnvRoutes.edge`). */
export const edgeModeOf = (routes: Pick<EnvRoutes, 'host' | 'edge'>): boolean => routes.edge ?? !isLoopbackHost(routes.host ?? '127.0.0.1');

const isLoopbackHost = (host: string): boolean => host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::ffff:127.0.0.1';

/** What the proxy reports for one environment. */
export interface EnvRouteStatus extends EnvRoutes {
  env: string;
  host: string;
  /** False when the port could not be opened at start (then `error` says why). */
  listening: boolean;
  error?: string;
  /** Several hosts: what happened on each (only in the answer of a multi-host `setRoutes`). */
  hostReports?: RouteHostReport[];
}

export interface StatusCounts {
  total: number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

/** Raw recent request samples of one release, column by column (same length, oldest first). */
export interface LatencySamples {
  /** Completion time, ms since the epoch. */
  t: number[];
  /** Latency in ms (request received → response finished). */
  ms: number[];
  status: number[];
}

export interface ReleaseMetrics {
  release: string;
  /** Counts since the release first appeared in this environment (or the proxy started). */
  requests: StatusCounts;
  /** Responses with a 5xx status, including the proxy's own 502s. */
  errors: number;
  /** Upstream failures (connection refused, reset, timeout) after any retry. */
  upstreamErrors: number;
  inflight: number;
  samples: LatencySamples;
}

export interface MetricsSnapshot {
  env: string;
  /** ms since the epoch when the snapshot was taken. */
  now: number;
  /** Requests answered 503 because the environment had no backend. */
  unrouted: number;
  /** Requests answered 400 because the client got them wrong; counted against no release (absent from an older proxy). */
  rejected?: number;
  releases: ReleaseMetrics[];
}

export interface ProxyHealth {
  ok: true;
  pid: number;
  startedAt: string;
  adminPort: number;
  envs: number;
  /** The shared listeners routed by Host (absent from an older proxy; empty when none is configured). */
  listeners?: SharedListenerStatus[];
  /** Requests on a shared listener for a host no environment claims (answered 421, routed nowhere). */
  misdirected?: number;
  /** The HTTPS listener's certificates: names, expiry, and why the files on disk are refused, if they are. */
  certificates?: { cert: string; names: string[]; notAfter?: string; error?: string; source: 'file' | 'acme' }[];
  /** The names served with ACME certificates, when ACME is on. */
  acme?: AcmeStatus;
}

/** One name whose certificate the proxy gets over ACME. */
export interface AcmeNameStatus {
  name: string;
  /** waiting: no certificate and no attempt yet; failing: the last attempt failed (the certificate before it, if any, serves). */
  state: 'waiting' | 'issuing' | 'valid' | 'failing';
  serial?: string;
  notAfter?: string;
  /** When it will be renewed (2/3 of its lifetime). */
  renewAt?: string;
  /** Failed attempts since the last success. */
  failures: number;
  error?: string;
  lastAttemptAt?: string;
  nextAttemptAt: string;
}

/** The proxy's ACME side (`slipway proxy listen --acme URL`). */
export interface AcmeStatus {
  directory: string;
  challenge: string;
  names: AcmeNameStatus[];
}

/** One shared listener of the proxy (`slipway proxy --http/--https`). */
export interface SharedListenerStatus {
  name: 'http' | 'https';
  /** `host:port` as configured. */
  address: string;
  listening: boolean;
  error?: string;
}

/** Expected failures of the proxy's control calls, as values. */
export type ProxyFailure =
  | { ok: false; reason: 'invalid'; message: string }
  | { ok: false; reason: 'port_taken'; message: string }
  | { ok: false; reason: 'domain_taken'; message: string }
  | { ok: false; reason: 'not_found'; message: string }
  | { ok: false; reason: 'busy'; message: string }
  | { ok: false; reason: 'failed'; message: string };

export type ProxyResult<T> = { ok: true; value: T } | ProxyFailure;

/**
 * The control plane's handle on the running proxy. Calls that change routes return expected
 * failures as values; a proxy that cannot be reached at all throws SlipwayError('unavailable').
 */
export interface ProxyControl {
  /**
   * Replaces an environment's routes in one atomic step: each request after the answer sees the new
   * table, requests in flight finish on the old one. Opens the port on first use or when it changes.
   * Idempotent: the same routes twice change nothing.
   */
  setRoutes(env: string, routes: EnvRoutes): Promise<ProxyResult<EnvRouteStatus>>;
  getRoutes(): Promise<EnvRouteStatus[]>;
  /** Closes the environment's port (in-flight requests finish) and forgets its routes. */
  removeEnv(env: string): Promise<ProxyResult<null>>;
  /** Requests of `release` still in flight in `env`: 0 means its instances can be stopped. */
  inflight(env: string, release: string): Promise<number>;
  /** Per-release counts and raw recent samples; `since` (ms epoch) keeps later samples only. */
  metricsSnapshot(env: string, since?: number): Promise<MetricsSnapshot>;
  /** Replaces the proxy process by a fresh one without closing its ports; returns the new pid. */
  upgrade(): Promise<ProxyResult<{ pid: number }>>;
  /** Stops the proxy gracefully (in-flight requests finish); its routes stay on disk. */
  stop(): Promise<void>;
  /** True when the proxy process is alive and answers its health check. */
  isAlive(): Promise<boolean>;
}

/** The files of the proxy inside a Slipway home: the contract between the daemon and its clients. */
export const proxyFiles = (home: string) => {
  const dir = `${home}/proxy`;
  return {
    dir,
    /** Persisted routes, rewritten atomically on every change and loaded at start. */
    routes: `${dir}/routes.json`,
    /** `{pid, adminPort, startedAt}`, written once the daemon is ready. */
    state: `${dir}/proxy.json`,
    /** Bearer token of the admin API, mode 0600. */
    token: `${dir}/token`,
    /** Held by the one running daemon: its pid. */
    lock: `${dir}/proxy.lock`,
    log: `${dir}/proxy.log`,
    /** The shared listeners and TLS settings (`slipway proxy --http/--https`), read at start. */
    edge: `${dir}/edge.json`,
  };
};

/** Contents of proxy.json. */
export interface ProxyStateFile {
  pid: number;
  adminPort: number;
  startedAt: string;
}

/** The key of the `x-slipway-probe` header, derived from the proxy's admin token. */
export const probeKeyOf = (token: string): string => createHash('sha256').update(`slipway-probe:${token}`).digest('hex').slice(0, 32);
