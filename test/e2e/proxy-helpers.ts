// Shared fixtures of the proxy's end-to-end tests: tiny upstream apps, a temp Slipway home with a
// real proxy daemon, and load generators (autocannon for keep-alive, node:http for anything else)
// that count every error and non-2xx answer.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ensureProxy, type ProxyClient } from '../../src/adapters/proxy/client.js';
import type { EnvRoutes, ProxyBackend } from '../../src/ports/proxy.js';

export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
}

export interface Upstream {
  name: string;
  url: string;
  port: number;
  /** Requests received so far. */
  hits: number;
  close(): Promise<void>;
}

/**
 * An app instance: answers JSON `{name, method, url, bytes, sha256, headers}` after reading the body;
 * `/slow?ms=N` answers after N ms, `/echo` streams the body straight back, `/big?mb=N` streams N MiB,
 * `/truncate` breaks off its answer midway, `/fail` answers 500.
 */
export async function startUpstream(name: string): Promise<Upstream> {
  const server = http.createServer((req, res) => {
    up.hits++;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-upstream': name });
      req.pipe(res);
      return;
    }
    if (url.pathname === '/truncate') {
      // Promises 1000 bytes, sends 10, then drops the connection.
      res.writeHead(200, { 'content-length': '1000', 'x-upstream': name });
      res.write('0123456789', () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (url.pathname === '/big') {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let left = Number(url.searchParams.get('mb') ?? 1) * 16;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-upstream': name });
      const pump = () => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      const answer = () => {
        const body = JSON.stringify({ name, method: req.method, url: req.url, bytes, sha256: hash.digest('hex'), headers: req.headers });
        res.writeHead(url.pathname === '/fail' ? 500 : 200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-upstream': name,
        });
        res.end(body);
      };
      const ms = url.pathname === '/slow' ? Number(url.searchParams.get('ms') ?? 500) : 0;
      if (ms > 0) setTimeout(answer, ms);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const up: Upstream = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return up;
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One backend per upstream list. */
export function backend(release: string, weight: number, ups: Upstream[]): ProxyBackend {
  return { release, weight, instances: ups.map((u, i) => ({ id: `${u.name}-${i}`, url: u.url })) };
}

export function routes(port: number, ...backends: ProxyBackend[]): EnvRoutes {
  return { port, backends };
}

/** A running proxy daemon on a temp home; `cleanup` stops it and removes the home. */
export async function startProxy(): Promise<{ home: string; client: ProxyClient; cleanup: () => Promise<void> }> {
  const home = tempHome();
  const client = await ensureProxy(home);
  return {
    home,
    client,
    cleanup: async () => {
      await client.stop().catch(() => undefined);
      const state = readJson<{ pid?: number }>(path.join(home, 'proxy', 'proxy.json'));
      if (state?.pid) killQuietly(state.pid);
      await client.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request on a fresh connection. */
export function fetchRaw(url: string, opts: { method?: string; body?: Buffer | string; headers?: http.OutgoingHttpHeaders } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface LoadResult {
  total: number;
  non2xx: number;
  errors: number;
  firstError?: string;
  byUpstream: Map<string, number>;
}

/**
 * Closed-loop load from node:http, counting every answer and failure. `keepAlive: false` opens a
 * new connection per request; with keep-alive the agent honours `Connection: close`, as real
 * clients do. Runs until `until` resolves.
 */
export async function load(opts: {
  url: string;
  until: Promise<unknown>;
  concurrency?: number;
  keepAlive: boolean;
  method?: string;
  body?: Buffer;
  /** Extra request headers, e.g. the Host of a shared listener. */
  headers?: http.OutgoingHttpHeaders;
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: opts.keepAlive, maxSockets: opts.concurrency ?? 8 });
  const result: LoadResult = { total: 0, non2xx: 0, errors: 0, byUpstream: new Map() };
  let stop = false;
  void opts.until.then(() => (stop = true));
  const fail = (message: string) => {
    result.total++;
    result.errors++;
    result.firstError ??= message;
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const headers: http.OutgoingHttpHeaders = { ...opts.headers, ...(opts.body ? { 'content-length': opts.body.length } : {}) };
      const req = http.request(opts.url, { method: opts.method ?? 'GET', agent, headers, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          result.total++;
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) result.non2xx++;
          const who = String(res.headers['x-upstream'] ?? '?');
          result.byUpstream.set(who, (result.byUpstream.get(who) ?? 0) + 1);
          resolve();
        });
        res.on('close', () => {
          if (res.complete) return;
          fail('response cut short');
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', (err) => {
        fail(err.message);
        resolve();
      });
      req.end(opts.body);
    });
  const worker = async () => {
    while (!stop) await one();
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  agent.destroy();
  return result;
}

export interface CannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
}

type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: CannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Keep-alive load with autocannon for `seconds`. */
export function cannon(opts: { url: string; seconds: number; connections?: number; method?: string; body?: string }): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: opts.url,
        connections: opts.connections ?? 10,
        duration: opts.seconds,
        method: opts.method ?? 'GET',
        body: opts.body,
        headers: opts.body ? { 'content-type': 'application/octet-stream' } : {},
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}
