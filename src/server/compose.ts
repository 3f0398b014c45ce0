// The composition root: the one place that picks an adapter for each port and builds the engine.
import { userInfo } from 'node:os';
import { createEngineArtifacts } from '../adapters/artifacts/engine-adapter.js';
import { createArtifactService } from '../adapters/artifacts/service.js';
import { ensureProxy } from '../adapters/proxy/client.js';
import { createProcessRuntime } from '../adapters/runtime/process/index.js';
import { createProcessExecutor } from '../adapters/executor/process/executor.js';
import { openSqliteStore } from '../adapters/store/sqlite/store.js';
import { createGitVcs } from '../adapters/vcs/git/git.js';
import { Bus } from '../engine/bus.js';
import { Engine } from '../engine/engine.js';
import { homePaths } from '../home/paths.js';
import { systemClock } from '../ports/clock.js';

/** Environment variables that steps inherit from the control plane; everything else is left out. */
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SHELL', 'TERM', 'npm_config_cache', 'NODE_OPTIONS'];

export const composeEngine = async (opts: { repo: string; home: string }): Promise<Engine> => {
  const paths = homePaths(opts.home);
  const baseEnv: Record<string, string> = {};
  for (const k of INHERITED_ENV) {
    const v = process.env[k];
    if (v !== undefined) baseEnv[k] = v;
  }
  const service = await createArtifactService({ home: opts.home });
  return new Engine({
    home: opts.home,
    repo: opts.repo,
    store: openSqliteStore(paths.db),
    vcs: createGitVcs(),
    executor: createProcessExecutor(),
    artifacts: await createEngineArtifacts(service),
    runtime: createProcessRuntime({ home: opts.home, artifacts: service }),
    proxy: () => ensureProxy(opts.home),
    clock: systemClock,
    bus: new Bus(),
    actor: process.env.SLIPWAY_ACTOR ?? safeUser(),
    baseEnv,
  });
};

const safeUser = (): string => {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
};
