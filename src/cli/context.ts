// What every command gets: where it runs, how it prints, and the way to the control plane.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { resolveHome } from '../home/paths.js';
import { connect, Client } from './client.js';
import { remoteServer, type RemoteServer } from './remote-config.js';
import { appNameProblem } from '../core/app-name.js';
import { readFileSync } from 'node:fs';

export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  /** The repository's top-level directory; throws a usage error outside a repository. */
  repo(): Promise<string>;
  home(): Promise<string>;
  /** The control plane of this app: local mode's own (started on demand), or the app's API on the server this CLI logged in to. */
  client(): Promise<Client>;
  /** `--app NAME`, given to any command: the app of a remote server to act on (default: slipway.yaml's `app`). */
  app?: string;
  /** The server this CLI drives (`slipway login`, SLIPWAY_SERVER), or undefined in local mode. */
  remote(): RemoteServer | undefined;
  /** The server's own API (apps, tokens), outside any app; a usage error in local mode. */
  serverClient(): Client;
}

/**
 * The `app:` of slipway.yaml in the work tree, if it names one (the server checks the rest). The
 * YAML parser is loaded here, in remote mode only: it is the largest module a local command would
 * otherwise load before its first request.
 */
const appOfWorkTree = async (repo: string): Promise<string | undefined> => {
  let text: string;
  try {
    text = readFileSync(join(repo, 'slipway.yaml'), 'utf8');
  } catch {
    return undefined;
  }
  const { parse: parseYaml } = await import('yaml');
  try {
    const doc = parseYaml(text) as { app?: unknown } | null;
    return typeof doc?.app === 'string' ? doc.app : undefined;
  } catch {
    return undefined;
  }
};

/** A client of a remote server; `prefix` is an app's API (`/v1/apps/<app>`) or '' for the server's own. */
const remoteClient = (r: RemoteServer, prefix: string): Client =>
  new Client(r.url, r.token, { pid: 0, port: 0, repo: '', version: '' }, '', prefix, { ...(r.ca !== undefined ? { ca: r.ca } : {}), ...(r.fingerprint !== undefined ? { fingerprint: r.fingerprint } : {}) });

/**
 * The work tree's top directory, found by looking for `.git` upwards (a directory, or the file of
 * a linked work tree): no git process on the path of every command. Undefined when not found, and
 * then git itself is asked (bare repositories and the like; GIT_DIR and every other GIT_* variable
 * are not passed on to git: adapters/vcs/git/run.ts).
 */
const findRepoRoot = (from: string): string | undefined => {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
};

export const createCliContext = (cwd: string, env: NodeJS.ProcessEnv): CliContext => {
  let repo: Promise<string> | undefined;
  let client: Promise<Client> | undefined;
  const ctx: CliContext = {
    cwd,
    env,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY) && env.TERM !== 'dumb' && !env.CI,
    repo: () =>
      (repo ??= (async () => {
        // The git adapter is loaded only when needed: it is not on the path of a command's first request.
        const r = findRepoRoot(cwd) ?? (await (await import('../adapters/vcs/git/git.js')).createGitVcs().root(cwd));
        if (!r) throw new SlipwayError('usage', `${cwd} is not inside a git repository`, 'run slipway inside your app’s repository (or `git init` one first)');
        return r;
      })()),
    // SLIPWAY_HOME names the home outright: no repository needed (an app of a server, a systemd unit).
    home: async () => (env.SLIPWAY_HOME ? resolve(env.SLIPWAY_HOME) : resolveHome(await ctx.repo(), env)),
    remote: () => remoteServer(env),
    serverClient: () => {
      const r = ctx.remote();
      if (!r) throw new SlipwayError('usage', 'this command is for a Slipway server with many apps, and this CLI is in local mode', 'log in to the server first: `slipway login URL` (the token on stdin), or set SLIPWAY_SERVER and SLIPWAY_TOKEN');
      return remoteClient(r, '');
    },
    client: () =>
      (client ??= (async () => {
        const r = ctx.remote();
        if (!r) {
          if (ctx.app !== undefined) throw new SlipwayError('usage', '--app names an app of a Slipway server, and this CLI is in local mode (one app, this repository)', 'log in to a server first: `slipway login URL`');
          return connect(await ctx.repo(), await ctx.home());
        }
        let app = ctx.app;
        if (app === undefined) {
          const repo = findRepoRoot(cwd);
          app = repo === undefined ? undefined : await appOfWorkTree(repo);
        }
        if (app === undefined) throw new SlipwayError('usage', `which app of ${r.url}? none is named by --app or by slipway.yaml's \`app:\` here`, 'run the command in a clone of the app, or pass --app NAME (`slipway apps ls` lists them)');
        const problem = appNameProblem(app);
        if (problem) throw new SlipwayError('usage', problem, 'the app comes from --app or slipway.yaml’s `app:`');
        return remoteClient(r, `/v1/apps/${app}`);
      })()),
  };
  return ctx;
};
