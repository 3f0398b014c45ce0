// The CLI's side of the control plane: find the server of this Slipway home, start it in the
// background when it is not running, and call its API with the home's token.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { SlipwayError, type ErrorCode } from '../core/errors.js';
import { appMarkerOf, homePaths } from '../home/paths.js';
import { readToken } from '../home/token.js';
import { pidAlive } from '../home/pid.js';
import { lockHeldByOther } from '../home/lock.js';

interface ServerFile {
  pid: number;
  port: number;
  repo: string;
  version: string;
  /** Where the server listens, as seen from this machine (server mode; local mode: 127.0.0.1). */
  host?: string;
  /** Server mode: the API prefix of this app (`/v1/apps/<app>`). */
  prefix?: string;
  /** Server mode over TLS: the fingerprint of the certificate it serves. */
  tls?: { fingerprint: string };
}

/** How an https:// server is trusted (cli/tls-trust.ts): the public CAs, a CA, or a pinned certificate. */
export interface ServerTrust {
  ca?: string;
  fingerprint?: string;
}

const START_TIMEOUT_MS = 15_000;

export class Client {
  constructor(
    readonly base: string,
    private readonly token: string,
    readonly server: ServerFile,
    /** The control plane's log in this Slipway home: where a hint sends the user. */
    readonly logPath: string,
    /** Server mode: every `/v1/…` path is sent as `<prefix>/…` (`/v1/apps/<app>/…`). */
    readonly prefix = '',
    /** For an https:// base: what its certificate is checked against. */
    readonly trust: ServerTrust = {},
  ) {}

  /** The path on the server of an API path (`/v1/status` → `/v1/apps/shop/status` for an app of a server). */
  pathOf(path: string): string {
    return this.prefix === '' ? path : path.replace(/^\/v1\//, `${this.prefix}/`);
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await this.send(method, path, body, signal);
    const text = (await readAll(res)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new SlipwayError('unavailable', `the control plane answered ${res.statusCode} with something that is not JSON`, `see ${this.logPath}`);
    }
    if ((res.statusCode ?? 500) >= 400) throw errorOf(parsed, res.statusCode);
    return parsed as T;
  }

  /** Streams NDJSON objects from a route until the server ends the response. */
  async *stream<T>(path: string, signal?: AbortSignal): AsyncGenerator<T> {
    const res = await this.send('GET', path, undefined, signal);
    if ((res.statusCode ?? 500) >= 400) {
      const text = (await readAll(res)).toString('utf8');
      let parsed: unknown = {};
      try {
        parsed = JSON.parse(text || '{}');
      } catch {
        // Not JSON: the status says enough.
      }
      throw errorOf(parsed, res.statusCode);
    }
    res.setEncoding('utf8');
    let buf = '';
    for await (const chunk of res as AsyncIterable<string>) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) yield JSON.parse(line) as T;
      }
    }
  }

  /**
   * One request over node:http with a keep-alive agent. (Not `fetch`: its first use costs a CLI
   * some 15 ms of start-up, on the path of every command.)
   */
  private async send(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    // Over TLS (a server with --tls-*): node:https and the trust, loaded only then.
    const tls = this.base.startsWith('https:') ? await import('./tls-trust.js') : undefined;
    const request = tls ? (await import('node:https')).request : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(`${this.base}${this.pathOf(path)}`, {
        method,
        agent: tls ? tls.agentFor(this.trust) : agent,
        signal,
        headers: { authorization: `Bearer ${this.token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      });
      req.on('response', resolve);
      req.on('error', (e) => {
        if (signal?.aborted || (e instanceof SlipwayError && e.code === 'refused')) reject(e);
        else if (tls && /CERT|SELF_SIGNED|UNABLE_TO_|ALTNAME/.test((e as NodeJS.ErrnoException).code ?? '')) reject(new SlipwayError('refused', `the certificate of ${this.base} is not trusted (${e.message}): refused, nothing was sent`, 'pin it: `slipway login URL --fingerprint sha256:…` (or --ca FILE); with SLIPWAY_SERVER set SLIPWAY_FINGERPRINT or SLIPWAY_CA'));
        else reject(new SlipwayError('unavailable', `cannot reach the control plane at ${this.base}: ${e.message}`, this.logPath === '' ? 'check the URL (`slipway login URL`) and that the server runs' : `check \`slipway server status\`; the log is ${this.logPath}`));
      });
      req.end(payload);
    });
  }
}

const agent = new Agent({ keepAlive: true });

const KNOWN_CODES: ReadonlySet<string> = new Set<ErrorCode>(['usage', 'config', 'not_found', 'failed', 'conflict', 'refused', 'corrupt', 'canceled', 'unavailable']);

const readAll = async (res: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
};

const errorOf = (parsed: unknown, status: number | undefined): SlipwayError => {
  const err = (parsed as { error?: { code?: string; message?: string; hint?: string; details?: unknown } }).error;
  // The API's own codes outside the CLI's set (`unauthorized`, …) exit like a refusal.
  const code: ErrorCode = err?.code === undefined ? 'failed' : KNOWN_CODES.has(err.code) ? (err.code as ErrorCode) : status === 401 || status === 403 ? 'refused' : 'failed';
  return new SlipwayError(code, err?.message ?? `HTTP ${status ?? '?'}`, err?.hint, err?.details);
};

const readServerFile = (file: string): ServerFile | undefined => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerFile;
  } catch {
    return undefined;
  }
};


const healthy = async (home: string, trustLivePid = false): Promise<Client | undefined> => {
  const paths = homePaths(home);
  const info = readServerFile(paths.serverInfo);
  const token = readToken(paths.token);
  if (!info || !token) return undefined;
  const trust: ServerTrust = info.tls ? { fingerprint: info.tls.fingerprint } : {};
  const client = new Client(`${info.tls ? 'https' : 'http'}://${hostForUrl(info.host ?? '127.0.0.1')}:${info.port}`, token, info, paths.serverLog, info.prefix ?? '', trust);
  // SLIPWAY_TOKEN: the CLI acts as that named token (a second person approving a deployment, a
  // narrower role) instead of as the home's owner; the control plane is found with the home's own.
  const named = process.env[TOKEN_VAR];
  const acting = named === undefined || named === '' ? client : new Client(client.base, named, info, paths.serverLog, info.prefix ?? '', trust);
  // A live pid behind server.json is as good as a health check for starting work: a request that
  // then fails still says clearly that the control plane cannot be reached.
  if (trustLivePid && pidAlive(info.pid)) return acting;
  try {
    await client.request('GET', '/v1/health', undefined, AbortSignal.timeout(2000));
    return acting;
  } catch {
    return undefined;
  }
};

const hostForUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** The variable that names the API token the CLI acts as (`slipway tokens create`). */
export const TOKEN_VAR = 'SLIPWAY_TOKEN';

const withoutToken = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { [TOKEN_VAR]: _token, ...rest } = env;
  void _token;
  return rest;
};

/** The client of a running control plane, or undefined when none runs for this home. */
export const findServer = (home: string): Promise<Client | undefined> => healthy(home);

/** How many control planes one command starts at most while it waits for one to answer. */
const MAX_STARTS = 3;
/** The exit code of `slipway server` when another control plane holds the home's lock (conflict). */
const ALREADY_RUNNING = 3;

/** The client of this home's control plane, starting it in the background first if needed. */
export const connect = async (repo: string, home: string): Promise<Client> => {
  const existing = await healthy(home, true);
  if (existing) return existing;
  const paths = homePaths(home);
  // An app of a server with many apps is served by that server, never by a control plane of its own.
  if (existsSync(appMarkerOf(home))) throw new SlipwayError('unavailable', `the Slipway server that serves ${home} is not running`, 'start it: `slipway server --home DIR` (docs/server.md)');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const bin = fileURLToPath(new URL('../../../bin/slipway.js', import.meta.url));
  const start = (): ChildProcess => {
    const logFd = openSync(paths.serverLog, 'a', 0o600);
    try {
      const child = spawn(process.execPath, [bin, 'server', '--foreground'], {
        cwd: repo,
        env: { ...withoutToken(process.env), SLIPWAY_HOME: home },
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
      child.unref();
      return child;
    } finally {
      closeSync(logFd); // the child has its own copy
    }
  };
  // Another command may be starting this home's control plane at this very moment (it holds the
  // lock while it opens the store, before it answers): wait for that one rather than start a
  // second, which would find the lock taken and go. One is started only when nobody holds the lock
  // — again if the one awaited went away without answering, up to MAX_STARTS times.
  let child = lockHeldByOther(paths.serverLock) ? undefined : start();
  let starts = child === undefined ? 0 : 1;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let delay = 10;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
    const c = await healthy(home);
    if (c) return c;
    // It failed (its log says why) — but exit 3 is "another control plane holds the lock": wait for that one.
    if (child !== undefined && child.exitCode !== null && child.exitCode !== 0 && child.exitCode !== ALREADY_RUNNING) break;
    const gone = child === undefined || child.exitCode !== null || child.signalCode !== null;
    if (gone && !lockHeldByOther(paths.serverLock) && starts < MAX_STARTS) {
      child = start();
      starts++;
    }
  }
  throw new SlipwayError('unavailable', 'the control plane did not start', `see ${paths.serverLog}`);
};
