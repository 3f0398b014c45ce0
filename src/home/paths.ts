// Where Slipway keeps its state: `.slipway/` at the repository root, or SLIPWAY_HOME; and the
// sandbox area outside it, where the work trees, releases and data that confined code sees live.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export const resolveHome = (repo: string, env: NodeJS.ProcessEnv = process.env): string =>
  env.SLIPWAY_HOME ? resolve(env.SLIPWAY_HOME) : join(repo, '.slipway');

export const homePaths = (home: string) => ({
  home,
  db: join(home, 'slipway.db'),
  serverInfo: join(home, 'server.json'),
  serverLock: join(home, 'server.lock'),
  serverLog: join(home, 'server.log'),
  /** The port the local control plane listened on last: a restart takes it again when it is free. */
  serverPort: join(home, 'server.port'),
  token: join(home, 'token'),
  work: join(home, 'work'),
  artifacts: join(home, 'artifacts'),
  /** The app's canonical bare repository (the merge queue's main). */
  canonicalRepo: join(home, 'repo.git'),
  /** Present while the machine was taken down on purpose (`slipway down`): nothing restarts the proxy. */
  downMarker: join(home, 'down'),
});

/** Names a Slipway home without revealing its path: first 16 hex of sha256 of its absolute path. */
export function homeIdOf(home: string): string {
  return createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16);
}

/**
 * The sandbox area of a home: SLIPWAY_SANDBOX_DIR; else, as root, /var/lib/slipway/sandbox/<home-id>
 * (reachable by the sandbox uid whatever the home's parents allow); else
 * $XDG_STATE_HOME (or ~/.local/state)/slipway/sandbox/<home-id>.
 */
export function sandboxDirOf(home: string, env: NodeJS.ProcessEnv = process.env, root = process.getuid?.() === 0): string {
  if (env.SLIPWAY_SANDBOX_DIR) return resolve(env.SLIPWAY_SANDBOX_DIR);
  if (root) return join('/var/lib/slipway/sandbox', homeIdOf(home));
  const state = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'slipway', 'sandbox', homeIdOf(home));
}

/**
 * The home of a Slipway server with many apps (`slipway server --home DIR`): its own token (admin
 * of every app), database (named tokens, the server's audit trail), lock and log, and one
 * directory per app under `apps/`, each laid out like a local mode's home.
 */
export const serverHomePaths = (home: string) => ({
  ...homePaths(home),
  apps: join(home, 'apps'),
  /** Present in the home of a server with many apps: what `slipway server` without --home looks for. */
  marker: join(home, 'server-mode.json'),
  appHome: (app: string) => join(home, 'apps', app),
});

/** The file that marks an app's home inside a server's home (its name, when and by whom it was made). */
export const appMarkerOf = (appHome: string): string => join(appHome, 'app.json');
