// Which Slipway server this machine's CLI drives, if any: SLIPWAY_SERVER with SLIPWAY_TOKEN (for CI),
// else what `slipway login` stored (0600 under $XDG_CONFIG_HOME/slipway/ or ~/.config/slipway/).
// Neither: local mode, the default (the home in the repository, a control plane started on demand).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { writeFileAtomic } from '../adapters/fs/files.js';

export interface RemoteServer {
  /** The server's base URL, without a trailing slash: `http://127.0.0.1:7400`. */
  url: string;
  token: string;
  /** Where it came from, for messages: `SLIPWAY_SERVER` or the login file's path. */
  source: string;
}

/** The file `slipway login` writes. */
export const loginFile = (env: NodeJS.ProcessEnv): string => {
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(config, 'slipway', 'login.json');
};

/**
 * A server URL as the CLI keeps it: http(s), a host, no credentials, query or fragment; the path
 * (if any) is where the server's API is mounted. Throws a usage error naming what is wrong.
 */
export const normaliseServerUrl = (text: string): string => {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new SlipwayError('usage', `"${text.slice(0, 200)}" is not a URL`, 'e.g. `slipway login http://127.0.0.1:7400`');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SlipwayError('usage', `the server URL must start with http:// or https://, not ${u.protocol}`);
  if (u.protocol === 'https:') throw new SlipwayError('usage', 'the control plane does not speak TLS yet: log in to its loopback http:// address, or through an SSH tunnel (docs/server.md)');
  if (u.username || u.password) throw new SlipwayError('usage', 'the server URL must not carry credentials: the token is read from stdin');
  if (u.search || u.hash) throw new SlipwayError('usage', 'the server URL takes no query or fragment');
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
};

const isStored = (v: unknown): v is { url: string; token: string } =>
  typeof v === 'object' && v !== null && typeof (v as { url?: unknown }).url === 'string' && typeof (v as { token?: unknown }).token === 'string';

/** The server this CLI drives, or undefined in local mode. A damaged login file is an error that says how to fix it. */
export const remoteServer = (env: NodeJS.ProcessEnv): RemoteServer | undefined => {
  if (env.SLIPWAY_SERVER) {
    if (!env.SLIPWAY_TOKEN) throw new SlipwayError('usage', 'SLIPWAY_SERVER is set but SLIPWAY_TOKEN is not', 'set SLIPWAY_TOKEN to a token from `slipway tokens create` (or unset SLIPWAY_SERVER for local mode)');
    return { url: normaliseServerUrl(env.SLIPWAY_SERVER), token: env.SLIPWAY_TOKEN.trim(), source: 'SLIPWAY_SERVER' };
  }
  const file = loginFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isStored(parsed)) throw new SlipwayError('config', `${file} is not a login that Slipway wrote`, 'run `slipway logout`, then `slipway login URL` again');
  return { url: parsed.url, token: parsed.token, source: file };
};

/** Stores a checked login (0600, in a 0700 directory), replacing any earlier one. */
export const saveLogin = (env: NodeJS.ProcessEnv, login: { url: string; token: string }): string => {
  const file = loginFile(env);
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify({ url: login.url, token: login.token }, null, 2)}\n`, 0o600);
  return file;
};

/** Forgets the login; false when there was none. */
export const removeLogin = (env: NodeJS.ProcessEnv): boolean => {
  const file = loginFile(env);
  try {
    readFileSync(file);
  } catch {
    return false;
  }
  rmSync(file, { force: true });
  return true;
};
