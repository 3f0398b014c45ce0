// The composition root: the one place that picks an adapter for each port and builds the engine.
import { currentPrincipal } from './auth.js';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createEngineArtifacts } from '../adapters/artifacts/engine-adapter.js';
import { createArtifactService } from '../adapters/artifacts/service.js';
import { cachedProxy, ProxyClient } from '../adapters/proxy/client.js';
import { scopedProxy } from '../adapters/proxy/scoped.js';
import type { ProxyControl } from '../ports/proxy.js';
import { createProcessRuntime } from '../adapters/runtime/process/index.js';
import { runtimeByKind } from '../adapters/runtime/by-kind.js';
import { createDockerRuntime, dockerSocket } from '../adapters/runtime/docker/index.js';
import { connectHost, dockerHostsRuntime } from '../adapters/runtime/docker/hosts.js';
import { hostsProxy } from '../adapters/proxy/hosts.js';
import { createImages } from '../adapters/image/index.js';
import { ed25519Verifier, loadOrCreateSigner } from '../adapters/signing/ed25519.js';
import { createProcessExecutor } from '../adapters/executor/process/executor.js';
import { timingFromEnv } from '../adapters/timing/stderr.js';
import { crashPointsFromEnv } from '../adapters/crash/kill.js';
import { openConfigTables } from '../adapters/store/sqlite/env-config.js';
import { openSqliteStore } from '../adapters/store/sqlite/store.js';
import { createGitVcs } from '../adapters/vcs/git/git.js';
import { createGitRepoHost } from '../adapters/vcs/git/repo-host.js';
import { createLocalMachine } from '../adapters/machine/local.js';
import { builtinGates } from '../adapters/gates/builtin.js';
import { Engine } from '../engine/engine.js';
import { EnvConfig } from '../adapters/envconfig/env-config.js';
import { MaskingBus, maskingStore } from '../engine/envconfig/masking.js';
import { createFsRetentionDisk } from '../adapters/retention/fs.js';
import { createFsLogDisk } from '../adapters/retention/logs.js';
import { homePaths, sandboxDirOf } from '../home/paths.js';
import { createSandbox, SANDBOX_VAR } from '../adapters/sandbox/index.js';
import { createDependencyCache } from '../adapters/dependency-cache/index.js';
import { keyFilePath } from '../secrets/master-key.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../ports/clock.js';
import { createMeasureFactory } from './compose-verify.js';
import { createNotifier, type DeploymentNotice } from '../adapters/notify/index.js';
import type { Store } from '../ports/store.js';
import type { NotificationSpec } from '../config/types.js';

/** bin/slipway.js of this installation: what the canonical repository's hooks run. */
const SLIPWAY_BIN = fileURLToPath(new URL('../../../bin/slipway.js', import.meta.url));

/** Environment variables that steps inherit from the control plane; everything else is left out. */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SHELL', 'TERM', 'npm_config_cache', 'npm_config_prefer_offline', 'npm_config_nodedir', 'npm_config_devdir', 'NODE_OPTIONS'];

/**
 * Where node-gyp finds Node's headers to compile a native module: the running Node's own, when it
 * was installed with them (no download at all, also offline), else a directory in npm's cache
 * (downloaded once, kept between runs instead of in each step's private HOME).
 */
const nodeGypEnv = (npmCache: string): Record<string, string> => {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? { npm_config_nodedir: prefix } : { npm_config_devdir: join(npmCache, '_node-gyp') };
};

export interface ComposeOptions {
  repo: string;
  home: string;
  log?: (line: string) => void;
  /**
   * Server mode: the app's own sandbox area and what else its steps and instances must not see
   * (the server's home with every other app, the other apps' sandbox areas).
   */
  sandbox?: { dir: string; hideDirs: readonly string[] };
  /**
   * Server mode: the edge proxy is the one of the server's home, shared by all its apps; this
   * app's engine sees only its own routes there (adapters/proxy/scoped.ts, keys `<app>.<env>`).
   */
  sharedProxy?: { home: string; app: string };
}

export const composeEngine = async (opts: ComposeOptions): Promise<Engine> => {
  const log = opts.log ?? ((line: string) => void process.stderr.write(`slipway server: ${line}\n`));
  const paths = homePaths(opts.home);
  // npm's cache outlives the run's work tree and the step's private HOME: it lives in the sandbox
  // area, which the executor lets every step write (adapters/executor/process). Cached tarballs are
  // used without asking the registry again (each is checked against the lockfile's integrity
  // hash). Inherited values win.
  const sandboxDir = opts.sandbox?.dir ?? sandboxDirOf(opts.home);
  const npmCache = join(sandboxDir, 'cache', 'npm');
  const baseEnv: Record<string, string> = { npm_config_cache: npmCache, npm_config_prefer_offline: 'true', ...nodeGypEnv(npmCache) };
  for (const k of INHERITED_ENV) {
    const v = process.env[k];
    if (v !== undefined) baseEnv[k] = v;
  }
  // Steps and apps never see the home, the sandbox area's other parts or the master key file
  // (nor, by default, the other keys beside it).
  const keyFile = keyFilePath(opts.home, process.env);
  const defaultKeyDir = dirname(keyFilePath(opts.home, { ...process.env, SLIPWAY_MASTER_KEY_FILE: '' }));
  const sandbox = createSandbox({ dir: sandboxDir, hideDirs: [opts.home, defaultKeyDir, ...(opts.sandbox?.hideDirs ?? [])], hideFiles: [keyFile], mode: process.env[SANDBOX_VAR] });
  if (sandbox.warning !== null) log(`WARNING: ${sandbox.warning}`);
  const service = await createArtifactService({ home: opts.home });
  const store = openSqliteStore(paths.db);
  const tables = openConfigTables(paths.db);
  // One close for both connections, so that a stopped control plane has let go of the database.
  const closeStore = store.close.bind(store);
  store.close = async () => {
    tables.close();
    await closeStore();
  };
  // The master key is read from the control plane's own environment (or its key file); steps
  // and apps never inherit SLIPWAY_MASTER_KEY (see INHERITED_ENV and the runtime's list).
  const envConfig = new EnvConfig({ store: tables.envConfig, secrets: tables.secrets, home: opts.home, repo: opts.repo, env: process.env, log, clock: systemClock });
  const problem = await envConfig.refreshMasker();
  if (problem) log(`secrets cannot be read yet, so nothing that needs them can run: ${problem}`);
  const masker = (): ReturnType<EnvConfig['masker']> => envConfig.masker();
  const maskedStore = maskingStore(store, masker);
  const images = createImages({ home: opts.home, artifacts: service, signer: await loadOrCreateSigner(opts.home), verifier: ed25519Verifier });
  // Containers only for the environments that say `runtime: docker`; the engine is reached on first use.
  // Environments with `hosts:` run on those hosts' engines, each behind its own proxy (docs/containers.md).
  const dockerOptions = { home: opts.home, images: { imageOf: (artifact: string, image?: string) => (image === undefined ? images.imageOf(artifact) : images.check(image, artifact)) } };
  const runtime = runtimeByKind(createProcessRuntime({ home: opts.home, artifacts: service, sandbox }), {
    docker: () => Promise.resolve(dockerHostsRuntime({ local: () => createDockerRuntime({ ...dockerOptions, socketPath: dockerSocket(process.env) }), connect: (h) => connectHost(h, dockerOptions) })),
  });
  // This machine's proxy: in server mode the server home's, shared by all its apps, each app seeing
  // its own routes only (adapters/proxy/scoped.ts).
  const proxyHome = opts.sharedProxy?.home ?? opts.home;
  const shared = cachedProxy(proxyHome);
  const app = opts.sharedProxy?.app;
  const local = app === undefined ? shared : async (): Promise<ProxyControl> => scopedProxy(await shared(), app);
  const proxy = hostsProxy({ home: opts.home, local, connect: (h) => new ProxyClient(opts.home, { socket: h.proxy }) });
  const owner = ownerName();
  return new Engine({
    home: opts.home,
    repo: opts.repo,
    store: maskedStore,
    vcs: createGitVcs(),
    canonical: createGitRepoHost({ home: opts.home, workRepo: opts.repo, hooks: { node: process.execPath, bin: SLIPWAY_BIN } }),
    executor: createProcessExecutor({ sandbox }),
    artifacts: await createEngineArtifacts(service),
    runtime,
    images,
    proxy,
    notify: composeNotify(maskedStore),
    measure: createMeasureFactory({ proxyHome, ...(app === undefined ? {} : { app }), runtime, proxy, store: maskedStore, clock: systemClock }),
    clock: systemClock,
    bus: new MaskingBus(masker),
    // The actor of what a request does is its token's name (server/auth.ts); else the owner's.
    get actor() {
      return currentPrincipal()?.name ?? owner;
    },
    baseEnv,
    envConfig,
    sandbox,
    // In the sandbox area but the control plane's alone (0700, never bound into a step): no step can write an entry.
    dependencies: createDependencyCache({ dir: join(sandboxDirOf(opts.home), 'deps'), env: sandbox.env(baseEnv) }),
    retention: createFsRetentionDisk({ home: opts.home, area: sandbox.dir }),
    logs: createFsLogDisk({ home: opts.home }),
    machine: createLocalMachine({ home: opts.home, repo: opts.repo }),
    gates: builtinGates,
    timing: timingFromEnv('control plane'),
    crash: crashPointsFromEnv(),
  });
};

/**
 * Outgoing webhooks: each notice is queued on a notifier of its targets, delivered with retries in
 * the background, and each delivery's outcome is recorded in the event log.
 */
const composeNotify =
  (store: Store) =>
  (targets: readonly NotificationSpec[], notice: Omit<DeploymentNotice, 'evidence'> & { evidence?: unknown }): void => {
    const notifier = createNotifier({
      targets,
      resolveSecret: (name) => process.env[name],
      onResult: (r) => void store.appendEvent({ kind: 'notification', actor: 'slipway', subject: notice.deployment.id, data: { ...r } }, new Date().toISOString()).catch(() => undefined),
    });
    notifier.notify(notice as DeploymentNotice);
    void notifier.drain().then(() => notifier.close());
  };

/** The name the home's own token acts under: SLIPWAY_ACTOR, else the user running the control plane. */
export const ownerName = (): string => process.env.SLIPWAY_ACTOR ?? safeUser();

const safeUser = (): string => {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
};
