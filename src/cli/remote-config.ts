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
  /** An https:// server not publicly trusted: its CA (PEM), or its certificate's pinned fingerprint. */
  ca?: string;
  fingerprint?: string;
}

/** What login.json holds. */
export interface StoredLogin {
  url: string;
  token: string;
  ca?: string;
  fingerprint?: string;
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
  if (u.username || u.password) throw new SlipwayError('usage', 'the server URL must not carry credentials: the token is read from stdin');
  if (u.search || u.hash) throw new SlipwayError('usage', 'the server URL takes no query or fragment');
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
};

const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';

const isStored = (v: unknown): v is StoredLogin =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { url?: unknown }).url === 'string' &&
  typeof (v as { token?: unknown }).token === 'string' &&
  optionalString((v as { ca?: unknown }).ca) &&
  optionalString((v as { fingerprint?: unknown }).fingerprint);

/** The file git is told to trust for a server (`http.<url>/.sslCAInfo`): written by login, beside login.json. */
export const gitCaFile = (env: NodeJS.ProcessEnv): string => join(loginFile(env), '..', 'server-ca.pem');

/** SLIPWAY_CA (a PEM file) and SLIPWAY_FINGERPRINT: CI's way to trust a server that is not publicly trusted. */
const trustFromEnv = (env: NodeJS.ProcessEnv): { ca?: string; fingerprint?: string } => {
  const out: { ca?: string; fingerprint?: string } = {};
  if (env.SLIPWAY_FINGERPRINT) {
    const m = /^sha256:((?:[0-9a-f]{2}:?){31}[0-9a-f]{2})$/i.exec(env.SLIPWAY_FINGERPRINT.trim());
    if (!m?.[1] || m[1].replace(/:/g, '').length !== 64) throw new SlipwayError('usage', 'SLIPWAY_FINGERPRINT must be "sha256:" and 64 hex digits (colons between pairs allowed)');
    out.fingerprint = `sha256:${m[1].replace(/:/g, '').toLowerCase()}`;
  }
  if (env.SLIPWAY_CA) {
    try {
      out.ca = readFileSync(env.SLIPWAY_CA, 'utf8');
    } catch (e) {
      throw new SlipwayError('usage', `SLIPWAY_CA names ${env.SLIPWAY_CA}, which cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!out.ca.includes('-----BEGIN CERTIFICATE-----')) throw new SlipwayError('usage', `SLIPWAY_CA names ${env.SLIPWAY_CA}, which holds no PEM certificate`);
  }
  return out;
};

/** The server this CLI drives, or undefined in local mode. A damaged login file is an error that says how to fix it. */
export const remoteServer = (env: NodeJS.ProcessEnv): RemoteServer | undefined => {
  if (env.SLIPWAY_SERVER) {
    if (!env.SLIPWAY_TOKEN) throw new SlipwayError('usage', 'SLIPWAY_SERVER is set but SLIPWAY_TOKEN is not', 'set SLIPWAY_TOKEN to a token from `slipway tokens create` (or unset SLIPWAY_SERVER for local mode)');
    return { url: normaliseServerUrl(env.SLIPWAY_SERVER), token: env.SLIPWAY_TOKEN.trim(), source: 'SLIPWAY_SERVER', ...trustFromEnv(env) };
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
  return { url: parsed.url, token: parsed.token, source: file, ...(parsed.ca !== undefined ? { ca: parsed.ca } : {}), ...(parsed.fingerprint !== undefined ? { fingerprint: parsed.fingerprint } : {}) };
};

/**
 * Stores a checked login (0600, in a 0700 directory), replacing any earlier one; with a CA or a
 * pinned certificate, `gitPem` (what git is to trust) is written to gitCaFile, else that file goes.
 */
export const saveLogin = (env: NodeJS.ProcessEnv, login: StoredLogin, gitPem?: string): string => {
  const file = loginFile(env);
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const stored: StoredLogin = { url: login.url, token: login.token, ...(login.ca !== undefined ? { ca: login.ca } : {}), ...(login.fingerprint !== undefined ? { fingerprint: login.fingerprint } : {}) };
  writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`, 0o600);
  if (gitPem !== undefined) writeFileAtomic(gitCaFile(env), gitPem, 0o600);
  else rmSync(gitCaFile(env), { force: true });
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
  rmSync(gitCaFile(env), { force: true });
  return true;
};
