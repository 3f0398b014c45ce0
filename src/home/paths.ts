// Where Slipway keeps its state: `.slipway/` at the repository root, or SLIPWAY_HOME.
import { join, resolve } from 'node:path';

export const resolveHome = (repo: string, env: NodeJS.ProcessEnv = process.env): string =>
  env.SLIPWAY_HOME ? resolve(env.SLIPWAY_HOME) : join(repo, '.slipway');

export const homePaths = (home: string) => ({
  home,
  db: join(home, 'slipway.db'),
  serverInfo: join(home, 'server.json'),
  serverLock: join(home, 'server.lock'),
  serverLog: join(home, 'server.log'),
  token: join(home, 'token'),
  work: join(home, 'work'),
  artifacts: join(home, 'artifacts'),
  /** The app's canonical bare repository (the merge queue's main). */
  canonicalRepo: join(home, 'repo.git'),
  /** Present while the machine was taken down on purpose (`slipway down`): nothing restarts the proxy. */
  downMarker: join(home, 'down'),
});
