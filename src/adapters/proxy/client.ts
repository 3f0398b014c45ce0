// The control plane's client of the proxy daemon: finds it through `<home>/proxy/proxy.json`,
// starts it detached when it is not running (or was killed), and calls its admin API with the
// token kept in the home. A replaced or restarted proxy is found again on the next call.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type * as Undici from 'undici';
import type { Agent } from 'undici';

/**
 * undici, loaded at the first call: it is the largest module of the control plane and only this
 * client needs it, so a control plane that starts (as `slipway up` does) answers sooner and loads
 * it while the proxy process starts.
 */
let undici: Promise<typeof Undici> | undefined;
const loadUndici = (): Promise<typeof Undici> => (undici ??= import('undici'));
import { SlipwayError } from '../../core/errors.js';
import type { ProbeResult } from '../runtime/process/health.js';
import {
  proxyFiles,
  type EnvRouteStatus,
  type EnvRoutes,
  type MetricsSnapshot,
  type ProxyControl,
  type ProxyFailure,
  type ProxyHealth,
  type ProxyResult,
  type ProxyStateFile,
} from '../../ports/proxy.js';

/** The daemon script next to this adapter in dist/. */
export const DAEMON_SCRIPT = fileURLToPath(new URL('../../proxy/daemon.js', import.meta.url));

export interface EnsureProxyOptions {
  /** Admin port for a proxy this call starts; ephemeral when absent. */
  adminPort?: number;
  /** Longest wait for a started proxy to answer its health check. */
  startTimeoutMs?: number;
}

const starting = new Map<string, Promise<ProxyClient>>();

/**
 * A client of the proxy serving `home`, starting the daemon first when none answers (never started,
 * stopped, or killed: a stale proxy.json naming a dead pid is ignored). The new daemon loads the
 * persisted routes, so after a `kill -9` the same call brings every environment back.
 */
export function ensureProxy(home: string, opts: EnsureProxyOptions = {}): Promise<ProxyClient> {
  const pending = starting.get(home);
  if (pending) return pending;
  const run = ensure(home, opts).finally(() => starting.delete(home));
  starting.set(home, run);
  return run;
}

/**
 * The control plane's client of its proxy, checked for life at most every `everyMs` (a route switch
 * should not pay for a health check each time; the watchdog notices a dead proxy within that time
 * anyway). The same client — and so one connection pool to the admin API — serves for as long as
 * its proxy answers: a new client per check left one pool and its keep-alive connection behind at
 * every check, several per deployment, each open until it timed out (seen in the soak, issue 13.5,
 * as control-plane and proxy descriptors and undici clients that came and went). A client whose
 * proxy no longer answers is closed, and ensureProxy finds or starts the next one.
 */
export const cachedProxy = (home: string, opts: { everyMs?: number; now?: () => number } = {}): (() => Promise<ProxyClient>) => {
  const everyMs = opts.everyMs ?? 500;
  const now = opts.now ?? Date.now;
  let client: ProxyClient | undefined;
  let checkedAt = 0;
  return async () => {
    if (client && now() - checkedAt < everyMs) return client;
    if (!client || !(await client.isAlive())) {
      const old = client;
      client = await ensureProxy(home);
      if (old !== undefined && old !== client) void old.close().catch(() => undefined);
    }
    checkedAt = now();
    return client;
  };
};

async function ensure(home: string, opts: EnsureProxyOptions): Promise<ProxyClient> {
  const client = new ProxyClient(home);
  if (await client.isAlive()) return client;
  const files = proxyFiles(home);
  fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  const logFd = fs.openSync(files.log, 'a', 0o600);
  const args = [DAEMON_SCRIPT, '--home', home];
  if (opts.adminPort !== undefined) args.push('--admin-port', String(opts.adminPort));
  let exit: number | null | undefined;
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
    child.on('exit', (code) => (exit = code));
    child.on('error', () => (exit = -1));
    child.unref();
  } finally {
    fs.closeSync(logFd);
  }
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    if (await client.isAlive()) return client;
    // Exit code 3: another proxy for this home was already starting; wait for it instead.
    if (exit !== undefined && exit !== 3) {
      throw new SlipwayError('unavailable', `the proxy exited at start (code ${exit}):\n${tail(files.log)}`, `see ${files.log}`);
    }
    await sleep(10);
  }
  throw new SlipwayError('unavailable', `the proxy did not become healthy within ${opts.startTimeoutMs ?? 10_000} ms`, `see ${files.log}`);
}

function tail(file: string, lines = 5): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface Endpoint {
  port: number;
  pid: number;
  token: string;
}

interface Answer {
  status: number;
  body: unknown;
}

/** Connection failures after which the proxy may be found again (restarted, or replaced). */
const RECONNECT = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);
/** Longest wait for a proxy that is busy replacing itself. */
const BUSY_WAIT_MS = 10_000;

/**
 * The admin API client; implements the proxy port. With `socket`, it talks to a proxy's admin
 * socket (`--admin-socket`, e.g. another host's, forwarded over SSH) instead of the home's proxy:
 * no token (the socket's file mode guards it), no pid.
 */
export class ProxyClient implements ProxyControl {
  private endpoint: Endpoint | undefined;
  private agent: Agent | undefined;

  constructor(readonly home: string, private readonly opts: { socket?: string } = {}) {}

  /** One health probe of an app on the proxy's machine (GET http://127.0.0.1:port/path there). */
  async probe(port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
    return this.expect(await this.call('POST', '/v1/probe', { port, path, timeoutMs })) as ProbeResult;
  }

  async setRoutes(env: string, routes: EnvRoutes): Promise<ProxyResult<EnvRouteStatus>> {
    return this.result<EnvRouteStatus>(await this.call('PUT', `/v1/routes/${encodeURIComponent(env)}`, routes));
  }

  async getRoutes(): Promise<EnvRouteStatus[]> {
    return (this.expect(await this.call('GET', '/v1/routes')) as { envs: EnvRouteStatus[] }).envs;
  }

  async removeEnv(env: string): Promise<ProxyResult<null>> {
    const r = this.result<unknown>(await this.call('DELETE', `/v1/routes/${encodeURIComponent(env)}`));
    return r.ok ? { ok: true, value: null } : r;
  }

  async inflight(env: string, release: string): Promise<number> {
    const q = new URLSearchParams({ env, release });
    return (this.expect(await this.call('GET', `/v1/inflight?${q.toString()}`)) as { inflight: number }).inflight;
  }

  async metricsSnapshot(env: string, since?: number): Promise<MetricsSnapshot> {
    const q = new URLSearchParams({ env });
    if (since !== undefined) q.set('since', String(since));
    return this.expect(await this.call('GET', `/v1/metrics?${q.toString()}`)) as MetricsSnapshot;
  }

  /** undici's request and this client's connection pool. */
  private async http(): Promise<{ request: (typeof Undici)['request']; agent: Agent }> {
    const u = await loadUndici();
    this.agent ??= new u.Agent({ connections: 4, pipelining: 1, ...(this.opts.socket === undefined ? {} : { connect: { socketPath: this.opts.socket } }) });
    return { request: u.request, agent: this.agent };
  }

  /** The Prometheus exposition, as a scraper would read it. */
  async prometheusText(): Promise<string> {
    const ep = this.resolve();
    const { request, agent } = await this.http();
    const res = await request(`http://127.0.0.1:${ep.port}/metrics`, { dispatcher: agent });
    return res.body.text();
  }

  async upgrade(): Promise<ProxyResult<{ pid: number }>> {
    const r = this.result<{ pid: number }>(await this.call('POST', '/v1/upgrade'));
    this.endpoint = undefined; // the successor wrote proxy.json: read it again
    return r;
  }

  async stop(): Promise<void> {
    if (this.opts.socket !== undefined) {
      await this.call('POST', '/v1/stop');
      return;
    }
    let pid: number;
    try {
      pid = this.resolve().pid;
      await this.call('POST', '/v1/stop');
    } catch (err) {
      if (err instanceof SlipwayError && err.code === 'unavailable') return; // not running
      throw err;
    }
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && pidAlive(pid)) await sleep(10);
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    this.endpoint = undefined;
  }

  /** Closes this client's connections (the proxy keeps running). */
  async close(): Promise<void> {
    await this.agent?.close();
  }

  /** The proxy's health answer: pid, shared listeners, certificates (not part of the port). */
  async health(): Promise<ProxyHealth> {
    const a = await this.call('GET', '/v1/health');
    if (a.status !== 200) throw new SlipwayError('unavailable', `the proxy answered ${a.status} to its health check`);
    return a.body as ProxyHealth;
  }

  async isAlive(): Promise<boolean> {
    this.endpoint = undefined;
    let ep: Endpoint;
    try {
      ep = this.resolve();
    } catch {
      return false;
    }
    if (this.opts.socket === undefined && !pidAlive(ep.pid)) return false;
    try {
      const { request, agent } = await this.http();
      const res = await request(`${this.origin(ep)}/v1/health`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${ep.token}` },
        headersTimeout: 1000,
        bodyTimeout: 1000,
      });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  /** Where requests go: the admin port on loopback, or any name over the admin socket. */
  private origin(ep: Endpoint): string {
    return this.opts.socket === undefined ? `http://127.0.0.1:${ep.port}` : 'http://proxy';
  }

  /** Reads proxy.json and the token (cached until a call fails to connect). */
  private resolve(): Endpoint {
    if (this.endpoint) return this.endpoint;
    if (this.opts.socket !== undefined) return (this.endpoint = { port: 0, pid: 0, token: '' });
    const files = proxyFiles(this.home);
    let state: ProxyStateFile;
    let token: string;
    try {
      state = JSON.parse(fs.readFileSync(files.state, 'utf8')) as ProxyStateFile;
      token = fs.readFileSync(files.token, 'utf8').trim();
    } catch {
      throw new SlipwayError('unavailable', `no proxy is running for ${this.home}`, 'start it with `slipway proxy`');
    }
    this.endpoint = { port: state.adminPort, pid: state.pid, token };
    return this.endpoint;
  }

  /**
   * One admin call. Connection failures and a replaced process send it again to whichever process
   * proxy.json names now (a few times, quickly); a proxy busy with an upgrade is waited for
   * (bounded), since an upgrade takes well under a second. Admin calls are all idempotent.
   */
  private async call(method: string, path: string, body?: unknown): Promise<Answer> {
    let lastError: unknown;
    let reconnects = 0;
    const busyUntil = Date.now() + BUSY_WAIT_MS;
    for (;;) {
      const ep = this.resolve();
      try {
        const { request, agent } = await this.http();
        const res = await request(`${this.origin(ep)}${path}`, {
          method: method as 'GET',
          dispatcher: agent,
          headers: { authorization: `Bearer ${ep.token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.body.text();
        if (res.headers['x-slipway-proxy'] === 'replaced') throw Object.assign(new Error('replaced'), { code: 'REPLACED' });
        const answer: Answer = { status: res.statusCode, body: text === '' ? null : (JSON.parse(text) as unknown) };
        const reason = (answer.body as { error?: { reason?: string } } | null)?.error?.reason;
        if (reason === 'busy' && Date.now() < busyUntil) {
          await sleep(50);
          continue;
        }
        return answer;
      } catch (err) {
        lastError = err;
        const code = (err as { code?: string }).code ?? '';
        if (code !== 'REPLACED' && !RECONNECT.has(code)) break;
        if (++reconnects > 6) break;
        this.endpoint = undefined; // restarted or replaced: read proxy.json again
        await sleep(25 * reconnects);
      }
    }
    const which = this.opts.socket === undefined ? `the proxy for ${this.home}` : `the proxy at ${this.opts.socket}`;
    throw new SlipwayError('unavailable', `${which} did not answer: ${(lastError as Error)?.message ?? 'unknown error'}`, 'check `slipway proxy` is running');
  }

  private result<T>(a: Answer): ProxyResult<T> {
    if (a.status >= 200 && a.status < 300) return { ok: true, value: a.body as T };
    const e = (a.body as { error?: { reason?: string; message?: string } } | null)?.error;
    const reason = (['invalid', 'port_taken', 'domain_taken', 'not_found', 'busy', 'failed'] as const).find((r) => r === e?.reason) ?? 'failed';
    const failure: ProxyFailure = { ok: false, reason, message: e?.message ?? `proxy answered ${a.status}` };
    return failure;
  }

  private expect(a: Answer): unknown {
    if (a.status >= 200 && a.status < 300) return a.body;
    const r = this.result<unknown>(a);
    const message = r.ok ? '' : r.message;
    throw new SlipwayError(a.status === 404 ? 'not_found' : 'failed', `proxy: ${message}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
