// The CLI's side of the control plane: find the server of this Slipway home, start it in the
// background when it is not running, and call its API with the home's token.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SlipwayError, type ErrorCode } from '../core/errors.js';
import { homePaths } from '../home/paths.js';
import { readToken } from '../home/token.js';
import { pidAlive } from '../home/pid.js';

interface ServerFile {
  pid: number;
  port: number;
  repo: string;
  version: string;
}

const START_TIMEOUT_MS = 15_000;

export class Client {
  constructor(
    readonly base: string,
    private readonly token: string,
    readonly server: ServerFile,
  ) {}

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await this.fetch(method, path, body, signal);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new SlipwayError('unavailable', `the control plane answered ${res.status} with something that is not JSON`, 'see .slipway/server.log');
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string; hint?: string; details?: unknown } }).error;
      throw new SlipwayError((err?.code as ErrorCode | undefined) ?? 'failed', err?.message ?? `HTTP ${res.status}`, err?.hint, err?.details);
    }
    return parsed as T;
  }

  /** Streams NDJSON objects from a route until the server ends the response. */
  async *stream<T>(path: string, signal?: AbortSignal): AsyncGenerator<T> {
    const res = await this.fetch('GET', path, undefined, signal);
    if (!res.ok || !res.body) {
      const text = await res.text();
      const err = (JSON.parse(text || '{}') as { error?: { code?: string; message?: string; hint?: string } }).error;
      throw new SlipwayError((err?.code as ErrorCode | undefined) ?? 'failed', err?.message ?? `HTTP ${res.status}`, err?.hint);
    }
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) yield JSON.parse(line) as T;
      }
    }
  }

  private async fetch(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new SlipwayError('unavailable', `cannot reach the control plane at ${this.base}: ${e instanceof Error ? e.message : String(e)}`, 'check `slipway server status`; the log is .slipway/server.log');
    }
  }
}

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
  const client = new Client(`http://127.0.0.1:${info.port}`, token, info);
  // A live pid behind server.json is as good as a health check for starting work: a request that
  // then fails still says clearly that the control plane cannot be reached.
  if (trustLivePid && pidAlive(info.pid)) return client;
  try {
    await client.request('GET', '/v1/health', undefined, AbortSignal.timeout(2000));
    return client;
  } catch {
    return undefined;
  }
};

/** The client of a running control plane, or undefined when none runs for this home. */
export const findServer = (home: string): Promise<Client | undefined> => healthy(home);

/** The client of this home's control plane, starting it in the background first if needed. */
export const connect = async (repo: string, home: string): Promise<Client> => {
  const existing = await healthy(home, true);
  if (existing) return existing;
  const paths = homePaths(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const logFd = openSync(paths.serverLog, 'a', 0o600);
  const bin = fileURLToPath(new URL('../../../bin/slipway.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'server', '--foreground'], {
    cwd: repo,
    env: { ...process.env, SLIPWAY_HOME: home },
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  let delay = 10;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
    const c = await healthy(home);
    if (c) return c;
    if (child.exitCode !== null && child.exitCode !== 0) break;
  }
  throw new SlipwayError('unavailable', 'the control plane did not start', `see ${paths.serverLog}`);
};
