// `slipway proxy`: the edge proxy daemon of one Slipway home. It serves every environment on a port
// of its own, takes its routes from the admin API, keeps them on disk across restarts, and can
// replace itself with a fresh process without closing a port (POST /v1/upgrade or SIGUSR2).

import type http from 'node:http';
import { fileURLToPath } from 'node:url';
import { SlipwayError } from '../core/errors.js';
import { probeKeyOf, proxyFiles, type ProxyHealth, type ProxyResult } from '../ports/proxy.js';
import { adminHandler, type AdminOps } from './admin.js';
import { EnvRegistry } from './envs.js';
import { renderPrometheus } from './exposition.js';
import { ensureToken } from '../home/token.js';
import { loadEdgeSettings, type EdgeSettings } from './edge-settings.js';
import type { SharedServer } from './envs.js';
import type { SharedListener } from './shared.js';
import { AcmeManager, ACME_CHALLENGE_PATH } from './tls/acme.js';
import { auditTrail } from './tls/acme-audit.js';
import { CertStore } from './tls/certs.js';
import { createHttpsServer } from './tls/server.js';
import { claimLock, loadRoutes, releaseFiles, takeLock, writeState } from './files.js';
import { handOver, receiveHandover, tell } from './handover.js';
import { createListener, listenOn, listenOnHandle, retire, retireQuietly, type ListenResult } from './listener.js';
import { setProbeKey } from './forward.js';
import { chmodSync, rmSync } from 'node:fs';
import { probeOnce } from '../adapters/runtime/process/health.js';

export interface ProxyOptions {
  /** The Slipway home; the proxy's files live in `<home>/proxy/`. */
  home: string;
  /** Admin API port on 127.0.0.1; an ephemeral port (recorded in proxy.json) when absent. */
  adminPort?: number;
  /**
   * Also serve the admin API on this unix socket (mode 0600, no token: the file's mode is the
   * authentication): how a control plane on another machine reaches this proxy, through the
   * socket forwarded over SSH (docs/containers.md, several hosts).
   */
  adminSocket?: string;
  /** Set by a predecessor that forked this process to take its sockets over (internal). */
  handover?: boolean;
  /** Where the daemon writes its few lines (start, stop, upgrade, port errors); stderr by default. */
  log?: (line: string) => void;
}

export interface RunningProxy {
  readonly pid: number;
  readonly adminPort: number;
  /** Resolves when the proxy has stopped or handed over and drained: the process may exit then. */
  readonly done: Promise<void>;
  stop(): void;
  upgrade(): Promise<ProxyResult<{ pid: number }>>;
}

/** The daemon script the proxy forks at an upgrade (and the adapter spawns). */
export const DAEMON_SCRIPT = fileURLToPath(new URL('./daemon.js', import.meta.url));

/**
 * Starts the proxy and resolves once it serves every persisted environment and has written
 * proxy.json. Throws SlipwayError when another proxy serves this home ('conflict'), when
 * routes.json is damaged ('corrupt') or when the admin port cannot be opened ('unavailable').
 */
export async function runProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const { home } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} proxy[${process.pid}] ${line}\n`));
  const token = ensureToken(proxyFiles(home).token);
  setProbeKey(probeKeyOf(token));
  if (!opts.handover) {
    const lock = takeLock(home);
    if (!lock.ok) throw new SlipwayError('conflict', lock.message, `stop it first, or use it: pid and admin port are in ${proxyFiles(home).state}`);
  }
  const routes = loadRoutes(home);
  if (!routes.ok) {
    if (!opts.handover) releaseFiles(home);
    throw new SlipwayError('corrupt', routes.message, 'restore the file from a backup, or delete it and deploy again');
  }
  const edge = loadEdgeSettings(home);
  if (!edge.ok) {
    if (!opts.handover) releaseFiles(home);
    throw new SlipwayError('corrupt', edge.message, `fix it, or set the listeners again: slipway proxy --http ADDR:PORT --https ADDR:PORT`);
  }
  const certs = new CertStore(log);
  for (const files of edge.value.certificates ?? []) certs.add(files, 'file');
  const recheck = setInterval(() => certs.recheck(), CERT_RECHECK_MS);
  recheck.unref();
  let adminPort = 0;
  const envs = new EnvRegistry(home, () => adminPort);
  const acme = edge.value.acme
    ? new AcmeManager({ home, settings: edge.value.acme, certs, domains: () => envs.status().flatMap((r) => r.domains ?? []), log, record: auditTrail(home, log) })
    : undefined;
  const prepare = () => envs.prepare(routes.value, edge.value, (l) => sharedServer(l, certs, edge.value, acme));
  const startedAt = new Date().toISOString();
  let state: 'serving' | 'upgrading' | 'replaced' | 'stopping' = 'serving';
  let changes: Promise<unknown> = Promise.resolve();
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  /** Runs route changes one at a time, refused while the process is being replaced. */
  const serial = <T>(work: () => Promise<ProxyResult<T>> | ProxyResult<T>): Promise<ProxyResult<T>> => {
    if (state !== 'serving') return Promise.resolve({ ok: false, reason: 'busy', message: `the proxy is ${state}; try again` });
    const run = changes.then(work);
    changes = run.catch(() => undefined);
    return run;
  };

  /** Drains and finishes: relaying to a successor, or (stopping) letting idle clients go quickly. */
  const drainAndExit = async (why: string, how: 'relay' | 'stop') => {
    log(`${why}: draining`);
    clearInterval(recheck);
    acme?.stop();
    await Promise.all([how === 'relay' ? envs.relayAll() : envs.retireAll(250), retire(admin, 0), ...(adminSocket ? [retire(adminSocket, 0)] : [])]);
    // A successor listens on the socket path anew (it unlinked this one's); a stop removes it.
    if (how === 'stop' && opts.adminSocket !== undefined) rmSync(opts.adminSocket, { force: true });
    releaseFiles(home);
    log('drained; exiting');
    finish();
  };

  const ops: AdminOps = {
    health: (): ProxyHealth => ({ ok: true, pid: process.pid, startedAt, adminPort, envs: envs.size, listeners: envs.sharedStatus(), misdirected: envs.misdirected, certificates: certs.status(), ...(acme ? { acme: acme.status() } : {}) }),
    routes: () => envs.status(),
    setRoutes: (env, r) => serial(() => envs.set(env, r)),
    removeEnv: (env) => serial(() => envs.remove(env)),
    inflight: (env, release) => envs.inflight(env, release),
    metrics: (env, since) => envs.metrics(env, since),
    prometheus: () => renderPrometheus(envs.allStats()),
    upgrade: () => upgrade(),
    stop: () => {
      if (state !== 'serving') return { ok: false, reason: 'busy', message: `the proxy is ${state}` };
      stop();
      return { ok: true, value: null };
    },
    replaced: () => state === 'replaced',
    probe: (port, path, timeoutMs) => probeOnce(port, path, timeoutMs),
  };
  const admin: http.Server = createListener(adminHandler(token, ops));
  const adminSocket = opts.adminSocket === undefined ? undefined : createListener(adminHandler(token, ops, { trusted: true }));

  let adminListening: Promise<ListenResult> | undefined;
  if (opts.handover) {
    // Taking over: every socket is served from the moment it arrives (see HandoverSink).
    const adopted: Promise<void>[] = [];
    await receiveHandover({
      stats: (stats) => {
        envs.importStats(stats);
        prepare();
      },
      listener: (env, handle) => {
        prepare();
        if (env === null) adminListening = listenOnHandle(admin, handle);
        else adopted.push(envs.adopt(env, handle));
      },
    });
    await Promise.all(adopted);
  }
  const adminResult = await (adminListening ?? listenOn(admin, opts.adminPort ?? 0, '127.0.0.1'));
  if (!adminResult.ok) {
    if (!opts.handover) releaseFiles(home);
    throw new SlipwayError('unavailable', `proxy admin API: ${adminResult.message}`, 'choose another admin port');
  }
  const address = admin.address();
  adminPort = typeof address === 'object' && address !== null ? address.port : 0;
  if (adminSocket !== undefined && opts.adminSocket !== undefined) {
    // A predecessor's socket file (or a stale one) is replaced: new connections reach this process.
    rmSync(opts.adminSocket, { force: true });
    const mask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        adminSocket.once('error', reject);
        adminSocket.listen(opts.adminSocket, () => resolve());
      });
    } catch (e) {
      if (!opts.handover) releaseFiles(home);
      throw new SlipwayError('unavailable', `proxy admin socket ${opts.adminSocket}: ${(e as Error).message}`, 'choose a path in a directory this user may write, at most 107 bytes long');
    } finally {
      process.umask(mask);
    }
    chmodSync(opts.adminSocket, 0o600);
  }

  prepare();
  await envs.listenRest();
  for (const s of envs.status()) if (!s.listening) log(`environment ${s.env}: ${s.error ?? 'not listening'}`);
  for (const s of envs.sharedStatus()) log(`${s.name} listener on ${s.address}: ${s.listening ? 'serving by Host' : (s.error ?? 'not listening')}`);
  if (opts.handover) claimLock(home);
  writeState(home, { pid: process.pid, adminPort, startedAt });
  tell({ type: 'ready', pid: process.pid });
  acme?.start();
  log(`serving ${envs.size} environment(s); admin on 127.0.0.1:${adminPort}${opts.handover ? ' (took over from predecessor)' : ''}`);

  async function upgrade(): Promise<ProxyResult<{ pid: number }>> {
    if (state !== 'serving') return { ok: false, reason: 'busy', message: `the proxy is ${state}` };
    state = 'upgrading';
    await changes; // no route change half-done while the successor reads routes.json
    log('upgrade: starting successor');
    const result = await handOver({
      daemonScript: DAEMON_SCRIPT,
      home,
      stats: () => envs.exportStats(),
      servers: () => envs.servers(),
      admin,
      ...(opts.adminSocket === undefined ? {} : { adminSocket: opts.adminSocket }),
    });
    if (!result.ok) {
      state = 'serving';
      log(`upgrade failed: ${result.message}`);
      return { ok: false, reason: 'failed', message: result.message };
    }
    state = 'replaced';
    void drainAndExit(`upgrade: pid ${result.pid} took over`, 'relay');
    return { ok: true, value: { pid: result.pid } };
  }

  function stop(): void {
    if (state !== 'serving') return;
    state = 'stopping';
    // Stopping: no successor will take the port, so idle clients need not be waited for long.
    void drainAndExit('stop requested', 'stop');
  }

  return { pid: process.pid, adminPort, done, stop, upgrade };
}

/**
 * Runs the proxy in this process until it stops or hands over: what `slipway proxy` and the daemon
 * script do. SIGTERM/SIGINT stop it gracefully, SIGUSR2 replaces it (zero-drop upgrade; the
 * successor runs detached, so this call then returns while the proxy keeps serving).
 * Throws like runProxy when it cannot start.
 */
export async function serveProxy(opts: ProxyOptions): Promise<void> {
  const proxy = await runProxy(opts);
  const stop = () => proxy.stop();
  const upgrade = () => void proxy.upgrade();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGUSR2', upgrade);
  // A successor forked at an upgrade outlives the IPC channel to its predecessor.
  const ignore = () => undefined;
  process.on('disconnect', ignore);
  try {
    await proxy.done;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGUSR2', upgrade);
    process.off('disconnect', ignore);
  }
}

/** How often certificate files are checked for a change (a stat of each; a changed pair is re-read). */
const CERT_RECHECK_MS = 1000;

/**
 * The server of a shared listener: HTTPS with the certificates, or plain HTTP that, when an HTTPS
 * listener exists too, redirects every known host there (308, method and body kept). With ACME on,
 * the HTTP listener answers the challenge path itself, for any host (it never reaches an app), and
 * the HTTPS listener answers TLS-ALPN-01 challenges.
 */
function sharedServer(l: SharedListener, certs: CertStore, edge: EdgeSettings, acme: AcmeManager | undefined): SharedServer {
  if (l.name === 'https') {
    const https = createHttpsServer(l.handler, certs, acme?.settingsChallenge === 'tls-alpn-01' ? acme : undefined);
    return { server: https.server, retire: (ms) => https.retire(ms), retireQuietly: (onDeadline) => (onDeadline(), https.retire()) };
  }
  const httpsPort = edge.https?.port;
  if (httpsPort !== undefined || acme) {
    l.intercept = (req, res, host, known) => {
      const acmePath = (req.url ?? '').startsWith(ACME_CHALLENGE_PATH);
      if (acme && acmePath) {
        acme.answerHttp01(req, res);
        return true;
      }
      if (httpsPort === undefined || !known || host === undefined || acmePath) return false;
      const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
      res.writeHead(308, { location, 'content-length': 0 });
      res.end();
      return true;
    };
  }
  const server = createListener(l.handler);
  return { server, retire: (ms) => retire(server, ms), retireQuietly: (onDeadline) => retireQuietly(server, onDeadline) };
}
