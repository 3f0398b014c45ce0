// Fixtures of the verification tests: a tiny app whose misbehaviour is written into its code (so
// that a bad build has its own digest), an open-loop traffic generator that records who answered
// what and when, a local notification receiver, and a poster of Alertmanager payloads.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TempRepo } from './harness.js';

/** How a build of the tiny app behaves; each distinct value is a distinct digest. */
export interface AppBehaviour {
  /** Share of requests answered 500 (the FAIL_RATE variable of the process overrides it). */
  failRate?: number;
  /** The first N requests are served well whatever the fail rate: a fault that shows up late. */
  failAfter?: number;
  /** The process exits with code 7 after answering this many requests (health checks aside). */
  crashAfter?: number;
  /** Any text: makes an otherwise identical build a different digest. */
  variant?: string;
}

/**
 * The app's source. Every answer carries `x-upstream: <release>` so that a client can tell which
 * release served it; `/healthz` always answers 200, so a bad build still starts.
 */
export const appSource = (b: AppBehaviour = {}): string => `// tiny app (${b.variant ?? 'plain'})
const http = require('node:http');
const FAIL_RATE = process.env.FAIL_RATE === undefined ? ${b.failRate ?? 0} : Number(process.env.FAIL_RATE);
const FAIL_AFTER = process.env.FAIL_AFTER === undefined ? ${b.failAfter ?? 0} : Number(process.env.FAIL_AFTER);
const CRASH_AFTER = ${b.crashAfter ?? 0};
const release = process.env.SLIPWAY_RELEASE || 'dev';
let served = 0;
const s = http.createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); return; }
  served++;
  const bad = served > FAIL_AFTER && Math.random() < FAIL_RATE;
  const body = JSON.stringify({ release, served, bad });
  res.writeHead(bad ? 500 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-upstream': release });
  res.end(body);
  if (CRASH_AFTER > 0 && served >= CRASH_AFTER) { console.error('fatal: crashing on purpose'); setImmediate(() => process.exit(7)); }
});
s.keepAliveTimeout = 65000;
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

/** The head of a slipway.yaml for the tiny app; environments follow. */
export const appYamlHead = (extra: string[] = []): string[] => [
  'app: tiny',
  'build:',
  '  run: mkdir -p dist && cp server.cjs dist/',
  '  artifact: [dist/]',
  'run:',
  '  command: node dist/server.cjs',
  '  health: { path: /healthz, start_timeout: 5s }',
  '  stop_grace: 1s',
  ...extra,
];

/** Commits a build of the app and runs its pipeline; returns the digest. */
export const buildVariant = async (repo: TempRepo, b: AppBehaviour, env: Record<string, string> = {}): Promise<string> => {
  repo.write({ 'server.cjs': appSource(b) });
  repo.commit(`app: ${JSON.stringify(b)}`);
  const r = await repo.cli(['run', '--json'], { env });
  if (r.code !== 0) throw new Error(`slipway run failed: ${r.stderr}${r.stdout}`);
  const digest = (JSON.parse(r.stdout) as { run: { digest?: string } }).run.digest;
  if (!digest) throw new Error(`no digest in ${r.stdout}`);
  return digest;
};

export interface Answer {
  /** ms epoch the request was sent / answered. */
  sentAt: number;
  doneAt: number;
  /** HTTP status; 0 when the request failed without an answer. */
  status: number;
  /** The release that answered (x-upstream), or '' . */
  upstream: string;
}

export interface Traffic {
  answers: Answer[];
  /** Requests not sent because too many were in flight (the generator stays open-loop and bounded). */
  skipped: number;
}

/**
 * Open-loop traffic at `rps` requests per second until `until` settles (or `maxMs` passes), at most
 * `maxInFlight` at once, recording every answer. Bounded: it never sends more than rps × time.
 */
export const steadyTraffic = async (opts: { url: string; rps: number; until: Promise<unknown>; maxMs?: number; maxInFlight?: number; headers?: http.OutgoingHttpHeaders }): Promise<Traffic> => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxInFlight ?? 16 });
  const out: Traffic = { answers: [], skipped: 0 };
  let stop = false;
  void opts.until.then(
    () => (stop = true),
    () => (stop = true),
  );
  const deadline = Date.now() + (opts.maxMs ?? 60_000);
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const sentAt = Date.now();
      inFlight++;
      const done = (status: number, upstream: string): void => {
        inFlight--;
        out.answers.push({ sentAt, doneAt: Date.now(), status, upstream });
        resolve();
      };
      const req = http.request(opts.url, { agent, headers: opts.headers, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0, String(res.headers['x-upstream'] ?? '')));
        res.on('error', () => done(0, ''));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => done(0, ''));
      req.end();
    });
  const start = Date.now();
  let sent = 0;
  while (!stop && Date.now() < deadline) {
    // The schedule is absolute (start + n / rps), so a slow tick is caught up, not lost.
    const due = Math.floor(((Date.now() - start) * opts.rps) / 1000) + 1;
    while (sent < due) {
      sent++;
      if (inFlight >= (opts.maxInFlight ?? 16)) {
        out.skipped++;
        continue;
      }
      const p = one();
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
    await sleep(Math.max(1, Math.floor(1000 / opts.rps / 2)));
  }
  await Promise.all(pending);
  agent.destroy();
  return out;
};

export interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The status this receiver answered. */
  answered: number;
  at: number;
}

/** A local webhook receiver that answers 503 to the first attempt of every delivery id. */
export const startReceiver = async (): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> => {
  const deliveries: Delivery[] = [];
  const seen = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['x-slipway-delivery'] ?? '');
      const answered = seen.has(id) ? 200 : 503;
      seen.add(id);
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered, at: Date.now() });
      res.writeHead(answered, { 'content-type': 'text/plain' });
      res.end(answered === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/slipway`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

/** True when `header` is `sha256=<hex>` of HMAC-SHA256(secret, body), compared in constant time. */
export const signatureValid = (header: string | undefined, secret: string, body: string): boolean => {
  const m = /^sha256=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const want = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(m[1] ?? '', 'hex'), want);
};

/** The control plane's API base URL, from the home's server.json. */
export const apiBase = (repo: TempRepo): string => `http://127.0.0.1:${(JSON.parse(readFileSync(join(repo.dir, '.slipway', 'server.json'), 'utf8')) as { port: number }).port}`;

/** An Alertmanager version-4 payload with one alert. */
export const alertPayload = (labels: Record<string, string>, opts: { status?: 'firing' | 'resolved'; startsAt?: string } = {}): string => {
  const startsAt = opts.startsAt ?? new Date().toISOString();
  const status = opts.status ?? 'firing';
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="${labels.alertname ?? 'test'}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'slipway',
    groupLabels: { alertname: labels.alertname ?? 'test' },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    alerts: [{ status, labels, annotations: { summary: 'test alert' }, startsAt, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://127.0.0.1:9090/graph', fingerprint: '0123456789abcdef' }],
  });
};

/** POSTs a body to the Alertmanager hook. */
export const postAlert = async (repo: TempRepo, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> => {
  const r = await fetch(`${apiBase(repo)}/v1/hooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: r.status, body: await r.text() };
};

export interface DeploymentEvent {
  seq: number;
  at: string;
  kind: string;
  subject: string;
  data: Record<string, unknown>;
}

/** A deployment's record and events, through `slipway logs dN --json`. */
export const deploymentLog = async (repo: TempRepo, id: string): Promise<{ deployment: { id: string; phase: string; reason?: string; release: number; rolledBackTo?: number; forced?: boolean }; events: DeploymentEvent[] }> => {
  const r = await repo.cli(['logs', id, '--json']);
  if (r.code !== 0) throw new Error(`slipway logs ${id} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Awaited<ReturnType<typeof deploymentLog>>;
};
