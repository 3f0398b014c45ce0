// The control plane's JSON API (version 1). Every route is here; docs/api.md describes them.
import type { ServerResponse } from 'node:http';
import { SlipwayError } from '../core/errors.js';
import { isRunFinished } from '../core/run.js';
import type { Engine } from '../engine/engine.js';
import { normaliseRunId } from '../engine/engine.js';
import type { EngineNotice } from '../engine/bus.js';
import * as z from 'zod';
import { Reply, Router, STREAMED, optionalBoolean, optionalString, type Request } from './http.js';
import { addDeployRoutes, environments, historyEntry } from './routes-deploy.js';
import { addAlertRoutes } from './routes-alerts.js';
import { addWebhookRoutes } from './routes-webhooks.js';
import { addConfigRoutes } from './routes-config.js';
import { addQueueRoutes } from './routes-queue.js';
import { addDoraRoutes } from './routes-dora.js';
import { addTokenRoutes } from './routes-tokens.js';
import { addVerificationRoute, addWhoamiRoute } from './routes-web.js';
import type { TokenStore } from '../ports/tokens.js';
import { maskDeep } from '../engine/envconfig/masking.js';
import { autoDeployNote } from '../core/deployment/policy.js';
import { configAt } from '../engine/deploy/spec.js';
import { openApiDocument } from './openapi.js';
import { eventSource, openStreams, runLogSource, serveSse, startAfter } from './sse.js';

export interface ServerInfo {
  pid: number;
  version: string;
  repo: string;
  home: string;
  startedAt: string;
}

const limitOf = (req: Request, dflt: number): number => {
  const raw = req.query.get('limit') ?? req.query.get('n');
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new SlipwayError('usage', `limit must be a whole number from 1 to 10000, not "${raw}"`);
  return n;
};

/**
 * The routes of one app's engine. `shutdown` and `tokens` are the local mode's: a server with many
 * apps serves them once for all apps (server/apps.ts).
 */
export const buildRoutes = (engine: Engine, info: ServerInfo, shutdown: (() => void) | undefined, tokens: TokenStore | undefined): Router => {
  const { store, artifacts } = engine.ctx;
  const r = new Router();
  // The last line of defence: no answer carries a known secret value, in any form.
  r.mask = (v) => maskDeep(v, engine.ctx.envConfig.masker());

  // The document of this very router, so it lists exactly the routes served (read role: like every
  // route, it tells nothing to a client without a token).
  r.on('GET', '/v1/openapi.json', () => Promise.resolve(openApiDocument(r.list())), {
    summary: 'This API as an OpenAPI 3.1 document',
    description: 'Built from the routes the server registers, with the same schemas that validate request bodies.',
  });

  r.on('GET', '/v1/health', () => Promise.resolve({ ok: true, ...info, activeRuns: engine.activeRuns, streams: openStreams(), busListeners: engine.ctx.bus.listenerCount() }), {
    summary: 'Whether the control plane is up: its pid, version, repository, home, active runs and open event streams',
  });

  if (shutdown) {
    r.on('POST', '/v1/shutdown', () => {
      setImmediate(shutdown);
      return Promise.resolve({ ok: true, stopping: true });
    }, { summary: 'Stop the control plane (after this answer)', role: 'admin' });
  }

  r.on('POST', '/v1/runs', async (req) => {
    const body = await req.body();
    const ref = optionalString(body, 'ref');
    const run = await engine.startRun({ ref, trigger: optionalString(body, 'trigger') ?? 'cli' });
    return new Reply(201, { run });
  }, {
    summary: 'Start a pipeline run of a commit',
    body: z.strictObject({
      ref: z.string().min(1).optional().describe('The branch, tag or commit to run (HEAD by default)'),
      trigger: z.string().min(1).optional().describe('What started the run, recorded with it (cli by default)'),
    }),
    status: 201,
  });

  r.on('GET', '/v1/runs', async (req) => ({ runs: await store.listRuns(limitOf(req, 20)) }), {
    summary: 'The latest runs, newest first',
    query: { limit: 'How many (1–10000, 20 by default); `n` is the same' },
  });

  r.on('GET', '/v1/runs/:id', (req) => engine.getRun(req.params.id ?? ''), { summary: 'A run and its steps (id r12 or 12)' });

  // Whether a run set off a deployment (`slipway run` says so after a run passed).
  r.on('GET', '/v1/runs/:id/auto-deploy', async (req) => {
    const { run } = await engine.getRun(req.params.id ?? '');
    const config = run.status === 'passed' ? await configAt(engine.ctx, run.commit) : undefined;
    const auto = (config?.environments ?? []).filter((e) => e.deploy === 'auto' && e.promoteFrom === undefined).map((e) => e.name);
    return { triggered: false, environments: auto, note: autoDeployNote(run, auto) ?? null };
  }, { summary: 'Whether a run set off automatic deployments, and to which environments' });

  r.on('GET', '/v1/runs/:id/logs', async (req) => {
    const { run } = await engine.getRun(req.params.id ?? '');
    const after = Number(req.query.get('after') ?? 0);
    return { run, logs: await store.readLogs(run.id, Number.isFinite(after) ? after : 0) };
  }, { summary: "A run's log lines", query: { after: 'Only the lines after this sequence number' } });

  r.on('POST', '/v1/runs/:id/cancel', async (req) => {
    const { run } = await engine.getRun(req.params.id ?? '');
    const body = await req.body();
    const canceled = engine.cancel(run.id, optionalString(body, 'reason'));
    if (!canceled && !isRunFinished(run.status)) throw new SlipwayError('conflict', `run ${run.id} is not in flight in this control plane`);
    const final = await engine.waitFor(run.id);
    return { canceled, run: final };
  }, {
    summary: 'Cancel a run in flight and wait for it to stop',
    body: z.strictObject({ reason: z.string().min(1).optional().describe('Recorded with the run') }),
  });

  r.on('GET', '/v1/runs/:id/stream', (req, res) => streamRun(engine, normaliseRunId(req.params.id ?? ''), res), {
    summary: 'Follow a run as NDJSON: a snapshot, its log lines, live notices, then the end (what the CLI reads)',
    stream: 'ndjson',
  });

  r.on('GET', '/v1/runs/:id/logs/stream', async (req, res) => {
    const after = startAfter(req, 0);
    const { run } = await engine.getRun(req.params.id ?? '');
    return serveSse(res, runLogSource(store, engine.ctx.bus, run.id), { after, mask: r.mask });
  }, {
    summary: "Follow a run's log as Server-Sent Events",
    description: 'Each line is a `log` event whose id is its number in the run; when the run is finished, an `end` event carries the run and its steps and the stream closes. Resume with `Last-Event-ID` (or `?lastEventId=`). Secret values are masked.',
    stream: 'sse',
    query: { lastEventId: 'Resume after this id (the `Last-Event-ID` header wins when both are given)' },
  });

  r.on('POST', '/v1/builds', async (req) => {
    const body = await req.body();
    const ref = optionalString(body, 'ref');
    if (optionalBoolean(body, 'checkReproducible')) return { reproducibility: await engine.checkReproducible(ref) };
    const result = await engine.build(ref);
    return new Reply(result.run ? 201 : 200, result);
  }, {
    summary: 'Build the artifact of a commit (or find the one already built), or check that its build is reproducible',
    description: '201 with the run when a build was started; 200 with the existing artifact when one was already built.',
    body: z.strictObject({
      ref: z.string().min(1).optional().describe('The branch, tag or commit (HEAD by default)'),
      checkReproducible: z.boolean().optional().describe('Build twice and compare instead'),
    }),
  });

  r.on('GET', '/v1/artifacts', async (req) => ({ artifacts: await store.listArtifacts(limitOf(req, 50)) }), {
    summary: 'The stored artifacts, newest first',
    query: { limit: 'How many (1–10000, 50 by default)' },
  });

  r.on('GET', '/v1/artifacts/:digest', async (req) => {
    const digest = await resolveDigest(engine, req.params.digest ?? '');
    return { artifact: await store.getArtifact(digest), details: await artifacts.inspect(digest) };
  }, { summary: 'An artifact by digest (or a unique prefix of it), with its manifest and provenance' });

  // A check that changes nothing: reading is enough.
  r.on('POST', '/v1/artifacts/:digest/verify', async (req) => {
    const digest = await resolveDigest(engine, req.params.digest ?? '');
    return { check: await artifacts.verify(digest) };
  }, { summary: "Check an artifact's bytes against its digest and signature (changes nothing)", role: 'read' });

  r.on('GET', '/v1/events', async (req) => {
    const after = Number(req.query.get('after') ?? 0);
    return { events: await store.listEvents({ subject: req.query.get('subject') ?? undefined, afterSeq: after, limit: limitOf(req, 200) }) };
  }, {
    summary: 'The event log (the audit trail), oldest first',
    query: { after: 'Only the events after this sequence number', subject: 'Only the events of this subject (a run, a deployment, an environment, a token…)', limit: 'How many (1–10000, 200 by default)' },
  });

  r.on('GET', '/v1/events/stream', (req, res) => serveSse(res, eventSource(store, engine.ctx.bus, req.query.get('subject') ?? undefined), { after: startAfter(req, 0), mask: r.mask }), {
    summary: 'Follow the event log (the audit trail) as Server-Sent Events',
    description: 'Each event is an `event` event whose id is its sequence number, from the first (or after `Last-Event-ID` / `?lastEventId=`) and then live; the stream does not end by itself.',
    stream: 'sse',
    query: { subject: 'Only the events of this subject', lastEventId: 'Resume after this id (the `Last-Event-ID` header wins when both are given)' },
  });

  r.on('GET', '/v1/events/verify', async () => ({ chain: await store.verifyEvents() }), { summary: "Check the event log's hash chain" });

  r.on('GET', '/v1/status', async () => {
    const runs = await store.listRuns(10);
    return {
      server: info,
      activeRuns: engine.activeRuns,
      activeDeployments: engine.deployer.activeDeployments,
      lastRun: runs[0],
      lastGreen: runs.find((x) => x.status === 'passed'),
      environments: await environments(engine),
      // Every deployment waiting for a person's approval, oldest first.
      awaitingApproval: (await store.unfinishedDeployments()).filter((d) => d.phase === 'awaiting_approval').map((d) => ({ ...historyEntry(d), approval_deadline: d.approvalDeadline ?? null })),
    };
  }, { summary: 'The control plane, the runs in flight, the last run and the last green one, and every environment' });

  addDeployRoutes(r, engine);
  addAlertRoutes(r, engine);
  addWebhookRoutes(r, engine);
  addConfigRoutes(r, engine);
  addQueueRoutes(r, engine);
  addDoraRoutes(r, engine);
  addVerificationRoute(r, engine);
  // The tokens of a server with many apps are the server's (served once, by its own router).
  addWhoamiRoute(r, tokens === undefined ? 'server' : 'local');
  if (tokens) addTokenRoutes(r, engine.ctx, tokens);
  return r;
};

const resolveDigest = async (engine: Engine, ref: string): Promise<string> => {
  const digest = await engine.ctx.artifacts.resolve(ref);
  if (!digest) throw new SlipwayError('not_found', `no artifact "${ref}"`, 'list the stored artifacts with `slipway artifacts ls`');
  return digest;
};

/**
 * Streams a run as NDJSON: a snapshot, every stored log line, then live notices until the run
 * ends. Subscribing before reading the store, and skipping lines already sent, loses nothing.
 */
const streamRun = async (engine: Engine, runId: string, res: ServerResponse): Promise<typeof STREAMED> => {
  const queue: EngineNotice[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = engine.ctx.bus.subscribe((n) => {
    const id = n.type === 'log' ? n.line.runId : n.type === 'event' ? n.event.subject : n.runId;
    if (id !== runId) return;
    queue.push(n);
    wake?.();
  });
  let closed = false;
  res.on('close', () => {
    closed = true;
    wake?.();
  });
  try {
    const { run, steps } = await engine.getRun(runId);
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    const send = (o: unknown): void => {
      res.write(`${JSON.stringify(o)}\n`);
    };
    send({ type: 'snapshot', run, steps });
    let lastSeq = 0;
    for (const line of await engine.ctx.store.readLogs(run.id)) {
      send({ type: 'log', line });
      lastSeq = line.seq;
    }
    let finished = isRunFinished(run.status);
    while (!finished && !closed) {
      const n = queue.shift();
      if (!n) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (n.type === 'event') continue;
      if (n.type === 'log') {
        if (n.line.seq <= lastSeq) continue;
        lastSeq = n.line.seq;
      }
      send(n);
      if (n.type === 'run' && isRunFinished(n.status)) finished = true;
    }
    if (!closed) {
      const final = await engine.ctx.store.getRun(runId);
      send({ type: 'end', run: final, steps: await engine.ctx.store.getSteps(runId) });
      res.end();
    }
  } finally {
    unsubscribe();
  }
  return STREAMED;
};
