// `slipway server`: the control plane process. It holds the only writable store of a Slipway home,
// hosts the engine and serves the API on loopback. One per home, guarded by a lock file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { homePaths } from '../home/paths.js';
import { ensureToken } from '../home/token.js';
import { removeFiles, writeFileAtomic } from '../adapters/fs/files.js';
import { ensurePrivateHome } from '../home/private.js';
import { buildRoutes, type ServerInfo } from './routes.js';
import { startApiServer } from './server.js';
import { createAuthenticator } from './auth.js';
import { openTokenStore } from '../adapters/store/sqlite/tokens.js';
import { composeEngine, ownerName } from './compose.js';
import { gitHttpOptions, startQueue } from './compose-queue.js';
import { VERSION } from '../version.js';
import { acquireLock } from '../home/lock.js';
import { recordHome } from '../home/registry.js';
import { loadPipelineAt } from '../engine/run/pipeline.js';

export interface ServerOptions {
  repo: string;
  home: string;
  port?: number;
  /** Called with one line per notable thing the server does. */
  log?: (line: string) => void;
}

export interface RunningServer {
  info: ServerInfo & { port: number };
  /** Resolves when the server has stopped. */
  stopped: Promise<void>;
  stop(reason: string): Promise<void>;
}


/** Keeps Slipway's state out of the app's git status when the home lives inside the repository. */
const ignoreHomeInRepo = (repo: string, home: string): void => {
  const rel = relative(repo, home);
  if (rel.startsWith('..')) return;
  const file = join(home, '.gitignore');
  if (!existsSync(file)) writeFileSync(file, '# Slipway state: never commit it.\n*\n');
};

/** How often the control plane checks that the proxy of a serving environment is alive. */
const PROXY_WATCH_MS = 250;

/**
 * Restarts the edge proxy, with its persisted routes, when it dies while environments are
 * serving (a `kill -9`, an out-of-memory kill): back within a second.
 */
export const startProxyWatchdog = (engine: Awaited<ReturnType<typeof composeEngine>>, log: (line: string) => void): NodeJS.Timeout => {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const serving = (await engine.ctx.store.listEnvStates()).some((s) => s.routes.length > 0);
      if (!serving || engine.ctx.machine.isDown()) return;
      const proxy = await engine.ctx.proxy();
      if (!(await proxy.isAlive())) {
        log('the edge proxy is not answering: restarting it with its routes');
        await engine.ctx.proxy();
      }
    })()
      .catch((e: unknown) => log(`proxy watchdog: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => (busy = false));
  }, PROXY_WATCH_MS);
  timer.unref();
  return timer;
};

/** When `retention.gc_every` is 0 (off), how soon slipway.yaml is read again for a change. */
const GC_RECHECK_MS = 60_000;

/**
 * Runs `slipway gc` every `retention.gc_every` of slipway.yaml at HEAD (read again before each
 * wait, so a change applies without a restart); each run is recorded as a `gc` event.
 */
const startGcSchedule = (engine: Awaited<ReturnType<typeof composeEngine>>, log: (line: string) => void): { stop: () => void } => {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = async (): Promise<void> => {
    const { gcEveryMs } = await engine.retentionPolicy();
    if (stopped) return;
    timer = setTimeout(() => {
      void (async () => {
        if (gcEveryMs > 0) {
          const r = await engine.gc({ dryRun: false });
          if (r.removed.length > 0) log(`gc: removed ${r.removed.length} item(s), freed ${r.bytes} bytes`);
        }
      })()
        .catch((e: unknown) => log(`gc: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => void next());
    }, gcEveryMs > 0 ? gcEveryMs : GC_RECHECK_MS);
    timer.unref();
  };
  void next().catch((e: unknown) => log(`gc schedule: ${e instanceof Error ? e.message : String(e)}`));
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
};

/**
 * Records this home's ports in the per-user registry (home/registry.ts) so that `slipway init` in
 * another app does not pick them: the ports served, and those slipway.yaml at HEAD declares.
 */
const registerPorts = async (engine: Awaited<ReturnType<typeof composeEngine>>, opts: ServerOptions): Promise<void> => {
  const ports: Record<string, number> = {};
  for (const s of await engine.ctx.store.listEnvStates()) if (s.port !== undefined) ports[s.env] = s.port;
  let app: string | undefined;
  try {
    const { config } = await loadPipelineAt(engine.ctx, 'HEAD');
    app = config.app;
    for (const env of config.environments) if (env.port !== undefined && !(env.name in ports)) ports[env.name] = env.port;
  } catch {
    // No commit or no valid slipway.yaml yet: the served ports are all there is.
  }
  recordHome(opts.home, { repo: opts.repo, ...(app ? { app } : {}), ports, by: 'control-plane' });
};

/** How often the control plane rejects the deployments that waited past their approval_timeout. */
const APPROVAL_CHECK_MS = 1000;

const startApprovalTimer = (engine: Awaited<ReturnType<typeof composeEngine>>, log: (line: string) => void): NodeJS.Timeout => {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void engine.deployer
      .expireApprovals()
      .then((ids) => ids.forEach((id) => log(`${id}: nobody approved it within its approval_timeout: rejected`)))
      .catch((e: unknown) => log(`approval timeouts: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => (busy = false));
  }, APPROVAL_CHECK_MS);
  timer.unref();
  return timer;
};

/** The port written by the last start (`server.port`), if it reads as one. */
const lastPort = (file: string): number | undefined => {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
  } catch {
    return undefined;
  }
};

export const startServer = async (opts: ServerOptions): Promise<RunningServer | undefined> => {
  const paths = homePaths(opts.home);
  const log = opts.log ?? (() => undefined);
  const corrected = ensurePrivateHome(opts.home);
  if (corrected !== null) log(corrected);
  ignoreHomeInRepo(opts.repo, opts.home);
  if (!acquireLock(paths.serverLock)) {
    log('another control plane already runs for this home');
    return undefined;
  }
  const token = ensureToken(paths.token);
  const engine = await composeEngine({ repo: opts.repo, home: opts.home });
  // Named API tokens (`slipway tokens`), on their own connection to the migrated store.
  const tokens = openTokenStore(paths.db);
  const recovered = await engine.recover();
  if (recovered.length > 0) log(`marked ${recovered.length} unfinished run(s) from a previous control plane as failed: ${recovered.join(', ')}`);
  const resumed = await engine.recoverDeployments(log);
  if (resumed.length > 0) log(`resumed deployment(s) ${resumed.join(', ')}`);
  // The merge queue resumes what it was testing, then works through what waits.
  const queue = await startQueue(engine, log);
  const watchdog = startProxyWatchdog(engine, log);
  const approvals = startApprovalTimer(engine, log);
  const gcSchedule = startGcSchedule(engine, log);
  const registerLogged = () => registerPorts(engine, opts).catch((e: unknown) => log(`could not record the ports in the per-user registry: ${e instanceof Error ? e.message : String(e)}`));
  void registerLogged();
  const unsubscribe = engine.ctx.bus.subscribe((n) => {
    if (n.type === 'event' && n.event.kind === 'deployment.routed') void registerLogged();
  });

  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log(`stopping: ${reason}`);
      clearInterval(watchdog);
      clearInterval(approvals);
      gcSchedule.stop();
      unsubscribe();
      const queueStopped = queue.stop();
      await engine.shutdown(`the control plane stopped (${reason})`);
      await queueStopped;
      await api.close();
      await engine.ctx.store.close();
      tokens.close();
      removeFiles([paths.serverInfo, paths.serverLock]);
      resolveStopped();
    })();
    return stopping;
  };

  const info: ServerInfo = { pid: process.pid, version: VERSION, repo: opts.repo, home: opts.home, startedAt: new Date().toISOString() };
  const authenticate = createAuthenticator({ homeToken: token, owner: ownerName(), tokens });
  const routes = buildRoutes(engine, info, () => void stop('asked to stop'), tokens);
  const git = gitHttpOptions(engine, authenticate);
  // Without --port, the port of the last start when it is still free: a dashboard left open (or
  // bookmarked) at the control plane's address keeps working across a restart.
  const previous = opts.port === undefined ? lastPort(paths.serverPort) : undefined;
  let api: Awaited<ReturnType<typeof startApiServer>>;
  try {
    api = await startApiServer(routes, authenticate, '127.0.0.1', opts.port ?? previous ?? 0, git);
  } catch (e) {
    if (previous === undefined || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    log(`port ${previous} of the last start is taken: listening on another`);
    api = await startApiServer(routes, authenticate, '127.0.0.1', 0, git);
  }
  mkdirSync(dirname(paths.serverInfo), { recursive: true });
  writeFileAtomic(paths.serverPort, `${api.port}\n`, 0o600);
  writeFileAtomic(paths.serverInfo, JSON.stringify({ ...info, port: api.port }, null, 2), 0o600);
  log(`listening on 127.0.0.1:${api.port} for ${opts.repo}`);
  return { info: { ...info, port: api.port }, stopped, stop };
};
