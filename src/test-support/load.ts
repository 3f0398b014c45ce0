// Bounded load for the tests and benches that count failed requests while Slipway deploys and
// rolls back: a few paced clients on keep-alive connections and a few that open a new connection
// per request, each with at most one request in flight and at most one request every `everyMs`.
// Bounded, so that on a small shared machine the control plane under test keeps its CPU, and
// mixed, because the two fail differently (a keep-alive client sees a connection the proxy or
// the app closes under it; a new connection sees a listener that is not there).

import http from 'node:http';
import https from 'node:https';

export interface LoadClients {
  /** How many clients (each on its own connection). */
  clients: number;
  /** Each client sends at most one request every `everyMs` (it waits for the answer first). */
  everyMs: number;
}

export interface LoadFailure {
  /** Milliseconds since the load started. */
  atMs: number;
  connection: 'keep-alive' | 'new';
  reason: string;
}

export interface LoadReport {
  /** Requests sent (answered or failed). */
  sent: number;
  /** Answered 200 with the whole body. */
  ok: number;
  failed: number;
  /** Failures by reason (`status 502`, `ECONNRESET: socket hang up`, …). */
  reasons: Record<string, number>;
  /** The first failures, in order (at most 50). */
  failures: LoadFailure[];
  /** Requests sent on keep-alive connections and on new connections. */
  byConnection: { keepAlive: number; fresh: number };
  /** How many answers carried each body (the bench app answers with its release). */
  bodies: Record<string, number>;
}

export interface RunningLoad {
  /** Stops sending, waits for the requests in flight and reports. */
  stop(): Promise<LoadReport>;
  /** The report so far (a copy). */
  snapshot(): LoadReport;
}

/** What a failed request says: the status, or the error's code and message. */
const reasonOf = (e: Error & { code?: string }): string => (e.code !== undefined && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message);

/**
 * Starts the load on `url` (GET); it runs until `stop()`. Each request has 10 s to be answered.
 *
 * @example const load = startLoad('http://127.0.0.1:8080/', { keepAlive: { clients: 2, everyMs: 10 }, fresh: { clients: 2, everyMs: 20 } });
 */
export function startLoad(
  url: string,
  opts: {
    keepAlive: LoadClients;
    fresh: LoadClients;
    timeoutMs?: number;
    /** Extra request headers, e.g. the `Host` a shared listener routes by. */
    headers?: http.OutgoingHttpHeaders;
    /** For an https URL: the only CA certificates trusted, and the name sent by SNI and checked in the certificate. */
    tls?: { ca: string | Buffer; servername: string };
  },
): RunningLoad {
  const secure = url.startsWith('https:');
  const agentOf = (keepAlive: boolean): http.Agent => (secure ? new https.Agent({ keepAlive, maxSockets: 1, ...(opts.tls ? { ca: opts.tls.ca, servername: opts.tls.servername } : {}) }) : new http.Agent({ keepAlive, maxSockets: 1 }));
  const get = secure ? https.get : http.get;
  const r: LoadReport = { sent: 0, ok: 0, failed: 0, reasons: {}, failures: [], byConnection: { keepAlive: 0, fresh: 0 }, bodies: {} };
  const t0 = performance.now();
  let stopping = false;
  const agents: http.Agent[] = [];
  const fail = (connection: LoadFailure['connection'], reason: string): void => {
    r.failed++;
    r.reasons[reason] = (r.reasons[reason] ?? 0) + 1;
    if (r.failures.length < 50) r.failures.push({ atMs: Math.round(performance.now() - t0), connection, reason });
  };
  const one = (agent: http.Agent, connection: LoadFailure['connection']): Promise<void> =>
    new Promise((resolve) => {
      let done = false;
      const finish = (reason?: string): void => {
        if (done) return;
        done = true;
        if (reason !== undefined) fail(connection, reason);
        resolve();
      };
      r.sent++;
      if (connection === 'keep-alive') r.byConnection.keepAlive++;
      else r.byConnection.fresh++;
      const req = get(url, { agent, timeout: opts.timeoutMs ?? 10_000, ...(opts.headers ? { headers: opts.headers } : {}), ...(secure && opts.tls ? { servername: opts.tls.servername } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return finish(`status ${res.statusCode}`);
          const body = Buffer.concat(chunks).toString('utf8').slice(0, 64);
          r.bodies[body] = (r.bodies[body] ?? 0) + 1;
          r.ok++;
          finish();
        });
        res.on('error', (e) => finish(`response: ${reasonOf(e)}`));
        res.on('close', () => {
          if (!res.complete) finish('response cut short');
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`)));
      req.on('error', (e) => finish(reasonOf(e)));
    });
  const client = async (agent: http.Agent, connection: LoadFailure['connection'], everyMs: number): Promise<void> => {
    while (!stopping) await Promise.all([one(agent, connection), new Promise((res) => setTimeout(res, everyMs))]);
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < opts.keepAlive.clients; i++) {
    const agent = agentOf(true);
    agents.push(agent);
    loops.push(client(agent, 'keep-alive', opts.keepAlive.everyMs));
  }
  for (let i = 0; i < opts.fresh.clients; i++) {
    const agent = agentOf(false);
    agents.push(agent);
    loops.push(client(agent, 'new', opts.fresh.everyMs));
  }
  const copy = (): LoadReport => JSON.parse(JSON.stringify(r)) as LoadReport;
  return {
    snapshot: copy,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      for (const a of agents) a.destroy();
      return copy();
    },
  };
}
