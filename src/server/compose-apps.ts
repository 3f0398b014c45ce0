// `slipway server --home DIR`: one control plane for many apps. Each app has a home of its own
// under DIR/apps/<app>/ (laid out like a local mode's: database, canonical repository, artifacts,
// releases, config, encrypted secrets, history, queue) and an engine of its own in this process;
// its API is served under /v1/apps/<app>/… and its repository at /git/<app>.git. The server's own
// token and its named tokens (optionally scoped to one app) live in DIR.
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { appNameProblem } from '../core/app-name.js';
import { SlipwayError } from '../core/errors.js';
import { isRunFinished } from '../core/run.js';
import { openTokenStore } from '../adapters/store/sqlite/tokens.js';
import { openSqliteStore } from '../adapters/store/sqlite/store.js';
import { ProxyClient } from '../adapters/proxy/client.js';
import { proxyFiles } from '../ports/proxy.js';
import { spawnGitService } from '../adapters/vcs/git/http-backend.js';
import { removeFiles, writeFileAtomic } from '../adapters/fs/files.js';
import { appMarkerOf, homePaths, sandboxDirOf, serverHomePaths } from '../home/paths.js';
import { ensurePrivateHome } from '../home/private.js';
import { ensureToken } from '../home/token.js';
import { systemClock } from '../ports/clock.js';
import type { Engine } from '../engine/engine.js';
import { queueOf } from '../engine/queue/index.js';
import { VERSION } from '../version.js';
import { currentPrincipal, createAuthenticator } from './auth.js';
import { composeEngine, ownerName } from './compose.js';
import { startQueue, type QueueHandle } from './compose-queue.js';
import { startProxyWatchdog, type RunningServer } from './daemon.js';
import { acquireLock } from '../home/lock.js';
import { HttpError, Reply, Router, optionalString } from './http.js';
import { buildRoutes, type ServerInfo } from './routes.js';
import { addTokenRoutes } from './routes-tokens.js';
import { WEBHOOK_PATHS } from './routes-webhooks.js';
import { addWhoamiRoute } from './routes-web.js';
import { openApiDocument } from './openapi.js';
import * as z from 'zod';
import { startApiServer, type Mount } from './server.js';
import { secureOptions, watchServerTls, type ServerTls } from './tls.js';

export interface AppsServerOptions {
  home: string;
  host: string;
  port: number;
  /** The API and the git endpoint over HTTPS with this certificate (`--tls-*`: server/tls.ts). */
  tls?: ServerTls;
  log?: (line: string) => void;
}

interface AppHost {
  name: string;
  home: string;
  createdAt: string;
  engine: Engine;
  router: Router;
  /** The token of the app's own home: its receive hooks present it (admin of this app only). */
  token: string;
  stop(reason?: string): Promise<void>;
}

interface AppMarker {
  name: string;
  createdAt: string;
  createdBy: string;
}

const readMarker = (home: string): AppMarker | undefined => {
  try {
    return JSON.parse(readFileSync(appMarkerOf(home), 'utf8')) as AppMarker;
  } catch {
    return undefined;
  }
};

/**
 * An app of a server made before its apps shared one edge had a proxy of its own under its home.
 * Once: that proxy is stopped (its ports close), its directory is kept aside as `proxy.replaced`
 * (an ACME account and certificates in it stay on disk), and the app's environments are routed on
 * the shared proxy again (`up`: the running instances are adopted, their ports reopened there).
 * Requests that arrive between the two are refused: a short gap, once, at the first start.
 */
const leaveOwnProxy = async (app: string, home: string, engine: Engine, log: (line: string) => void): Promise<void> => {
  const own = proxyFiles(home);
  if (!existsSync(own.dir)) return;
  const client = new ProxyClient(home);
  if (await client.isAlive()) await client.stop();
  await client.close();
  if (existsSync(own.edge)) log(`WARNING: the app's own edge settings (${own.edge}) are no longer used: its routes are on the server's proxy now, whose listeners are set with \`slipway proxy listen --home <server home> …\``);
  renameSync(own.dir, `${own.dir}.replaced`);
  if (engine.ctx.machine.isDown() || !(await engine.ctx.store.listEnvStates()).some((s) => s.routes.length > 0)) return;
  try {
    await engine.up();
    log('its environments moved from its own proxy to the server’s shared proxy');
  } catch (e) {
    log(`its environments could not be moved to the server’s shared proxy: ${e instanceof Error ? e.message : String(e)}; run \`slipway up --app ${app}\``);
  }
};

/** The address a process on this machine reaches the server at (an unspecified address means loopback). */
export const localAddressOf = (host: string): string => (host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host);

export const startAppsServer = async (opts: AppsServerOptions): Promise<RunningServer | undefined> => {
  const log = opts.log ?? (() => undefined);
  const paths = serverHomePaths(opts.home);
  const corrected = ensurePrivateHome(opts.home);
  if (corrected !== null) log(corrected);
  if (!acquireLock(paths.serverLock)) {
    log('another control plane already runs for this home');
    return undefined;
  }
  if (!existsSync(paths.marker)) writeFileAtomic(paths.marker, `${JSON.stringify({ mode: 'server', createdAt: new Date().toISOString() })}\n`, 0o600);
  ensurePrivateHome(paths.apps);
  const token = ensureToken(paths.token);
  const store = openSqliteStore(paths.db);
  const tokens = openTokenStore(paths.db);
  const owner = ownerName();
  const startedAt = new Date().toISOString();
  const apps = new Map<string, AppHost>();
  /** Names being created or removed right now: a second request for one of them is a conflict. */
  const changing = new Set<string>();
  // Every app's sandbox area is under one directory that every app's steps have hidden.
  const sandboxRoot = sandboxDirOf(opts.home);
  let port = 0;
  // How a process on this machine (a receive hook, the CLI) reaches the server: over TLS, pinned
  // to the certificate's fingerprint (kept up to date when the files are renewed).
  let tlsPin = opts.tls ? { fingerprint: opts.tls.fingerprint } : undefined;

  const serverFileOf = (app: string): object => ({ pid: process.pid, port, host: localAddressOf(opts.host), prefix: `/v1/apps/${app}`, repo: homePaths(paths.appHome(app)).canonicalRepo, version: VERSION, ...(tlsPin ? { tls: tlsPin } : {}) });

  const openApp = async (name: string, marker: AppMarker): Promise<AppHost> => {
    const home = paths.appHome(name);
    const appPaths = homePaths(home);
    const appLog = (line: string): void => log(`[${name}] ${line}`);
    const appToken = ensureToken(appPaths.token);
    const engine = await composeEngine({
      repo: appPaths.canonicalRepo,
      home,
      log: appLog,
      sandbox: { dir: join(sandboxRoot, 'apps', name), hideDirs: [opts.home, sandboxRoot] },
      // Every app's routes are in the server home's proxy, under `<app>.<env>`: one edge for all.
      sharedProxy: { home: opts.home, app: name },
    });
    const recovered = await engine.recover();
    if (recovered.length > 0) appLog(`marked ${recovered.length} unfinished run(s) as failed: ${recovered.join(', ')}`);
    const resumed = await engine.recoverDeployments(appLog);
    if (resumed.length > 0) appLog(`resumed deployment(s) ${resumed.join(', ')}`);
    await leaveOwnProxy(name, home, engine, appLog);
    const queue: QueueHandle = await startQueue(engine, appLog);
    // The canonical repository exists from the start: the first push needs it.
    await queueOf(engine).canonical();
    const watchdog = startProxyWatchdog(engine, appLog);
    const info: ServerInfo = { pid: process.pid, version: VERSION, repo: appPaths.canonicalRepo, home, startedAt };
    const router = buildRoutes(engine, info, undefined, undefined);
    if (port !== 0) writeFileAtomic(appPaths.serverInfo, JSON.stringify(serverFileOf(name), null, 2), 0o600);
    let stopping: Promise<void> | undefined;
    return {
      name,
      home,
      createdAt: marker.createdAt,
      engine,
      router,
      token: appToken,
      stop: (reason = 'the server stopped') =>
        (stopping ??= (async () => {
          clearInterval(watchdog);
          const queueStopped = queue.stop();
          await engine.shutdown(`the control plane stopped (${reason})`);
          await queueStopped;
          await engine.ctx.store.close();
          try {
            unlinkSync(appPaths.serverInfo);
          } catch {
            // Already gone.
          }
        })()),
    };
  };

  for (const name of existsSync(paths.apps) ? readdirSync(paths.apps).sort() : []) {
    const marker = readMarker(paths.appHome(name));
    if (appNameProblem(name) !== undefined || marker === undefined) continue;
    try {
      apps.set(name, await openApp(name, marker));
      log(`app ${name} ready`);
    } catch (e) {
      log(`app ${name} could not start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const busyWith = async (host: AppHost): Promise<string[]> => {
    const busy = [...host.engine.activeRuns, ...host.engine.deployer.activeDeployments];
    try {
      const { items } = await queueOf(host.engine).list(1000);
      for (const i of items) if (i.state === 'queued' || i.state === 'testing') busy.push(i.id);
    } catch {
      // No queue: nothing waits in it.
    }
    return busy;
  };

  const summary = async (host: AppHost) => {
    const envs = await host.engine.ctx.store.listEnvStates();
    const runs = await host.engine.ctx.store.listRuns(1);
    return {
      name: host.name,
      createdAt: host.createdAt,
      git: `/git/${host.name}.git`,
      environments: envs.filter((e) => e.currentRelease !== undefined).map((e) => e.env),
      lastRun: runs[0] ? { id: runs[0].id, status: runs[0].status, finished: isRunFinished(runs[0].status) } : null,
      inFlight: await busyWith(host),
    };
  };

  const event = (kind: string, subject: string, data: Record<string, unknown>): Promise<unknown> =>
    store.appendEvent({ kind, actor: currentPrincipal()?.name ?? owner, subject, data }, new Date().toISOString());

  const root = new Router();
  root.on('GET', '/v1/openapi.json', () => Promise.resolve(openApiDocument(root.list())), {
    summary: 'The server’s own API (apps, tokens) as an OpenAPI 3.1 document; each app’s is at /v1/apps/<app>/openapi.json',
  });
  root.on('GET', '/v1/health', () => Promise.resolve({ ok: true, mode: 'server', pid: process.pid, version: VERSION, home: opts.home, startedAt, apps: apps.size }), {
    summary: 'Whether the server is up: mode "server", pid, version, home and the number of apps',
  });
  root.on('POST', '/v1/shutdown', () => {
    setImmediate(() => void stop('asked to stop'));
    return Promise.resolve({ ok: true, stopping: true });
  }, { summary: 'Stop the server and every app’s engine (after this answer)', role: 'admin' });
  root.on('GET', '/v1/apps', async () => {
    const scope = currentPrincipal()?.app;
    const hosts = [...apps.values()].filter((h) => scope === undefined || h.name === scope).sort((a, b) => a.name.localeCompare(b.name));
    return { apps: await Promise.all(hosts.map(summary)) };
  }, { summary: 'The apps of this server (a token scoped to one app sees that one)' });
  root.on('POST', '/v1/apps', async (req) => {
    const name = optionalString(await req.body(), 'name');
    if (name === undefined) throw new SlipwayError('usage', '"name" is required: the app’s name, a DNS label such as "shop"');
    const problem = appNameProblem(name);
    if (problem) throw new SlipwayError('usage', problem, 'e.g. `slipway apps create shop`');
    if (apps.has(name) || changing.has(name)) throw new SlipwayError('conflict', `the app "${name}" exists already`, 'see them with `slipway apps ls`');
    const home = paths.appHome(name);
    if (existsSync(home)) throw new SlipwayError('conflict', `${home} exists but is not a working app of this server`, 'move it away, then create the app again');
    changing.add(name);
    try {
      ensurePrivateHome(home);
      const marker: AppMarker = { name, createdAt: new Date().toISOString(), createdBy: currentPrincipal()?.name ?? owner };
      writeFileSync(appMarkerOf(home), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
      let host: AppHost;
      try {
        host = await openApp(name, marker);
      } catch (e) {
        rmSync(home, { recursive: true, force: true });
        throw e;
      }
      apps.set(name, host);
      await event('app.created', name, {});
      log(`app ${name} created`);
      return new Reply(201, { app: await summary(host) });
    } finally {
      changing.delete(name);
    }
  }, {
    summary: 'Create an app: its home, engine and canonical repository (/git/<app>.git)',
    role: 'admin',
    status: 201,
    body: z.strictObject({ name: z.string().describe('A DNS label: 1–63 lower-case letters, digits and -, starting and ending with a letter or digit') }),
  });
  root.on('DELETE', '/v1/apps/:name', async (req) => {
    const name = req.params.name ?? '';
    const host = apps.get(name);
    if (!host || changing.has(name)) throw new SlipwayError('not_found', `no app "${name.slice(0, 80)}" on this server`, 'see them with `slipway apps ls`');
    const busy = await busyWith(host);
    if (busy.length > 0) throw new SlipwayError('conflict', `the app "${name}" has work in flight: ${busy.join(', ')}`, 'wait for it to finish (or cancel it), then remove the app');
    changing.add(name);
    try {
      // Its instances and its proxy stop, then everything it kept goes.
      await host.engine.down();
      apps.delete(name);
      await host.stop();
      rmSync(host.home, { recursive: true, force: true });
      rmSync(join(sandboxRoot, 'apps', name), { recursive: true, force: true });
      await event('app.removed', name, {});
      log(`app ${name} removed`);
      return { removed: name };
    } finally {
      changing.delete(name);
    }
  }, { summary: 'Remove an app: its instances stop and everything it kept is deleted; refused while anything of it is in flight', role: 'admin' });
  addWhoamiRoute(root, 'server');
  addTokenRoutes(
    root,
    {
      store,
      clock: systemClock,
      get actor() {
        return currentPrincipal()?.name ?? owner;
      },
      appExists: (name) => apps.has(name),
    },
    tokens,
  );

  const mount: Mount = (path) => {
    const m = /^\/v1\/apps\/([^/]+)(\/.+)$/.exec(path);
    if (!m) return undefined;
    let app: string;
    try {
      app = decodeURIComponent(m[1] ?? '');
    } catch {
      throw new HttpError(400, 'the app name in the path is not valid percent-encoding');
    }
    const router = apps.get(app)?.router;
    const sub = `/v1${m[2] ?? ''}`;
    // A webhook to an app that is not here: the forge is told so (it checks no token to say it).
    if (router === undefined && WEBHOOK_PATHS.includes(sub)) throw new HttpError(404, `no app "${app.slice(0, 80)}" on this server`);
    return { app, path: sub, router };
  };
  const authenticate = createAuthenticator({ homeToken: token, owner, tokens, appTokens: () => [...apps.values()].map((h) => [h.name, h.token] as [string, string]) });
  const api = await startApiServer(root, authenticate, opts.host, opts.port, {
    authenticate,
    repository: async (app) => {
      const host = apps.get(app);
      return host ? { path: await queueOf(host.engine).canonical(), app } : undefined;
    },
    gitService: spawnGitService,
  }, mount, opts.tls ? secureOptions(opts.tls) : undefined);
  port = api.port;
  const writeServerFiles = (): void => {
    for (const name of apps.keys()) writeFileAtomic(homePaths(paths.appHome(name)).serverInfo, JSON.stringify(serverFileOf(name), null, 2), 0o600);
    writeFileAtomic(paths.serverInfo, JSON.stringify({ ...info, host: localAddressOf(opts.host), mode: 'server', ...(tlsPin ? { tls: tlsPin } : {}) }, null, 2), 0o600);
  };
  const tlsWatch = opts.tls
    ? watchServerTls(opts.tls, (next) => {
        (api.server as HttpsServer).setSecureContext(secureOptions(next));
        tlsPin = { fingerprint: next.fingerprint };
        writeServerFiles();
      }, log)
    : undefined;

  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log(`stopping: ${reason}`);
      tlsWatch?.stop();
      await Promise.allSettled([...apps.values()].map((h) => h.stop()));
      await api.close();
      await store.close();
      tokens.close();
      removeFiles([paths.serverInfo, paths.serverLock]);
      resolveStopped();
    })();
    return stopping;
  };
  const info = { pid: process.pid, version: VERSION, repo: '', home: opts.home, startedAt, port: api.port };
  writeServerFiles();
  if (opts.tls) log(`TLS: ${opts.tls.files.cert}${opts.tls.selfSigned ? ' (self-signed)' : ''} for ${opts.tls.names.join(', ')}, valid until ${opts.tls.notAfter.toISOString()}; fingerprint ${opts.tls.fingerprint}`);
  log(`listening on ${opts.host}:${api.port} for ${apps.size} app(s) in ${opts.home}${opts.tls ? ` over HTTPS (https://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${api.port})` : ''}`);
  return { info, stopped, stop };
};
