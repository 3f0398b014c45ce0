// The API of releases and deployments: deploy, promote, rollback, history, status, up, and the
// live stream of a deployment's events.
import type { ServerResponse } from 'node:http';
import { releaseLabel } from '../core/deployment/types.js';
import { deploymentJson } from '../core/deployment/wire.js';
import { checkComment, MAX_COMMENT } from '../core/deployment/approval.js';
import { SlipwayError } from '../core/errors.js';
import { checkEnvName } from '../core/env-name.js';
import type { Engine } from '../engine/engine.js';
import type { StoredDeployment } from '../ports/store.js';
import * as z from 'zod';
import { Reply, STREAMED, optionalBoolean, optionalString, type Router } from './http.js';
import { deploymentSource, serveSse, startAfter, wantsSse } from './sse.js';

const objectBody = (body: unknown): Record<string, unknown> => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SlipwayError('usage', 'request body must be a JSON object');
  return body as Record<string, unknown>;
};

const requiredString = (body: unknown, key: string): string => {
  const v = optionalString(body, key);
  if (v === undefined) throw new SlipwayError('usage', `"${key}" is required`);
  return v;
};

const envName = z.string().min(1).describe('An environment of slipway.yaml');

/** The fields of SPEC §6 for `slipway history --json`. */
export const historyEntry = deploymentJson;

export const addDeployRoutes = (r: Router, engine: Engine): void => {
  const { store } = engine.ctx;
  const deployer = engine.deployer;

  r.on('POST', '/v1/deployments', async (req) => {
    const body = objectBody(await req.body());
    const strategy = optionalString(body, 'strategy');
    if (strategy !== undefined && strategy !== 'blue-green' && strategy !== 'canary') throw new SlipwayError('usage', `strategy must be blue-green or canary, not "${strategy}"`);
    const r = await deployer.request({ env: requiredString(body, 'env'), digest: optionalString(body, 'digest'), strategy, force: optionalBoolean(body, 'force') });
    // Nothing to do is an answer, not an error: the environment already serves it.
    if ('noop' in r) return new Reply(200, { deployment: null, noop: r.noop, release: r.release });
    return new Reply(202, { deployment: r.deployment, ...(r.note === undefined ? {} : { note: r.note }) });
  }, {
    summary: 'Deploy an artifact to an environment',
    description: '202 with the deployment, which goes on after the answer (follow it with `/v1/deployments/{id}/stream` or `/v1/deployments/{id}/events`); 200 with `noop` when the environment already serves that digest.',
    status: 202,
    body: z.strictObject({
      env: envName,
      digest: z.string().min(1).optional().describe("The artifact's digest or a unique prefix (the last green run's by default)"),
      strategy: z.enum(['blue-green', 'canary']).optional().describe("The environment's strategy by default"),
      force: z.boolean().optional().describe('Deploy even what a policy refuses (recorded as forced)'),
    }),
  });

  r.on('POST', '/v1/promotions', async (req) => {
    const body = objectBody(await req.body());
    const h = await deployer.promote(requiredString(body, 'from'), requiredString(body, 'to'), { force: optionalBoolean(body, 'force') });
    return new Reply(202, { deployment: h.deployment });
  }, {
    summary: 'Promote the digest serving one environment to the next',
    status: 202,
    body: z.strictObject({ from: envName, to: envName, force: z.boolean().optional().describe('Promote even what a policy refuses (recorded as forced)') }),
  });

  r.on('POST', '/v1/rollbacks', async (req) => {
    const body = objectBody(await req.body());
    const to = body.to;
    if (to !== undefined && (typeof to !== 'number' || !Number.isInteger(to) || to < 1)) throw new SlipwayError('usage', '"to" must be a release number (1 for v1)');
    const h = await deployer.rollback(requiredString(body, 'env'), { to: to });
    return new Reply(202, { deployment: h.deployment });
  }, {
    summary: 'Roll an environment back to its previous release (or to a given one)',
    status: 202,
    body: z.strictObject({ env: envName, to: z.int().min(1).optional().describe('The release number to go back to (1 for v1)') }),
  });

  // The held deployment of an environment (rollback: manual) carries on past its failed verification.
  r.on('POST', '/v1/continuations', async (req) => {
    const body = objectBody(await req.body());
    const h = await deployer.continueHeld(requiredString(body, 'env'));
    return new Reply(202, { deployment: h.deployment });
  }, {
    summary: "Carry a held deployment on past its failed verification (environments with rollback: manual)",
    status: 202,
    body: z.strictObject({ env: envName }),
  });

  r.on('GET', '/v1/deployments', async (req) => {
    const limit = Number(req.query.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new SlipwayError('usage', 'limit must be a whole number from 1 to 10000');
    const env = req.query.get('env') ?? undefined;
    if (env !== undefined) await knownEnv(engine, env);
    return { deployments: (await store.listDeployments(env, limit)).map(historyEntry) };
  }, {
    summary: 'The deployments (history), newest first',
    query: { env: 'Only this environment', limit: 'How many (1–10000, 20 by default)' },
  });

  r.on('GET', '/v1/deployments/:id', async (req) => {
    const d = await mustGet(engine, req.params.id ?? '');
    return { deployment: d, events: await store.listEvents({ subject: d.id, limit: 10_000 }) };
  }, { summary: 'A deployment (id d7 or 7) and its events' });

  r.on('POST', '/v1/deployments/:id/cancel', async (req) => {
    const d = await mustGet(engine, req.params.id ?? '');
    // Awaiting approval: withdrawn before anything started.
    if (d.phase === 'awaiting_approval') return { deployment: await deployer.withdraw(d) };
    if (!deployer.cancel(d.id, 'canceled by the user')) throw new SlipwayError('conflict', `${d.id} is not in flight`);
    return { deployment: await deployer.waitFor(d.id) };
  }, { summary: 'Cancel a deployment in flight and wait for it to stop; one awaiting approval is withdrawn (it never starts)' });

  r.on('GET', '/v1/deployments/:id/stream', async (req, res) => {
    const sse = wantsSse(req);
    const after = sse ? startAfter(req, 0) : 0;
    const d = await mustGet(engine, req.params.id ?? '');
    return sse ? serveSse(res, deploymentSource(store, engine.ctx.bus, d.id), { after, mask: r.mask }) : streamDeployment(engine, d, res);
  }, {
    summary: "Follow a deployment's progress: Server-Sent Events (Accept: text/event-stream), else NDJSON",
    description:
      'As Server-Sent Events: each of its events is an `event` event whose id is its sequence number; when the deployment is finished an `end` event carries it and the stream closes (a held deployment is not finished). Resume with `Last-Event-ID` (or `?lastEventId=`). Without that Accept header: NDJSON, a snapshot, its events, live events, then the end (what the CLI reads; it ends at a hold too).',
    stream: 'sse-or-ndjson',
    query: { lastEventId: 'Resume after this id (Server-Sent Events only; the `Last-Event-ID` header wins when both are given)' },
  });

  // A deployment awaiting approval (approval: required): someone other than its requester decides.
  for (const verdict of ['approve', 'reject'] as const) {
    r.on('POST', `/v1/deployments/:id/${verdict}`, async (req) => {
      const d = await mustGet(engine, req.params.id ?? '');
      const comment = checkComment(objectBody(await req.body()).comment);
      if (!comment.ok) throw new SlipwayError('usage', comment.message);
      const decided = await deployer.decide(d.id, verdict, comment.comment);
      return new Reply(verdict === 'approve' ? 202 : 200, { deployment: decided });
    }, {
      summary: verdict === 'approve' ? 'Approve a deployment awaiting approval: it starts (not by its requester)' : 'Reject a deployment awaiting approval: it never starts (not by its requester)',
      description: 'Recorded as `deployment.decided` with the actor and the comment. 403 `refused` for the requester; 409 `conflict` when it no longer waits (naming its phase) or another decision holds the lock; 404 for an unknown id.',
      status: verdict === 'approve' ? 202 : 200,
      body: z.strictObject({ comment: z.string().max(MAX_COMMENT).optional().describe('Why; recorded with the decision (no control characters)') }),
    });
  }

  r.on('POST', '/v1/up', async () => ({ up: await engine.up() }), { summary: "Start every environment's current release again (after a reboot)" });

  r.on('POST', '/v1/down', async () => ({ down: await engine.down() }), { summary: 'Stop every running instance', role: 'admin' });

  r.on('POST', '/v1/gc', async (req) => {
    const body = objectBody(await req.body());
    return { gc: await engine.gc({ dryRun: optionalBoolean(body, 'dry_run') }) };
  }, { summary: 'Apply the retention policy (body: {"dry_run": true} lists and removes nothing)', role: 'admin' });

  r.on('GET', '/v1/environments/:env/logs', async (req) => {
    const env = req.params.env ?? '';
    const name = checkEnvName(env);
    if (!name.ok) throw new SlipwayError('usage', name.message);
    const raw = req.query.get('lines');
    const lines = raw === null ? 100 : Number(raw);
    if (!Number.isInteger(lines) || lines < 1 || lines > 100_000) throw new SlipwayError('usage', `lines must be a whole number from 1 to 100000, not "${raw ?? ''}"`);
    return { env, instances: await engine.instanceLogs(env, lines) };
  }, { summary: "The last lines of output of an environment's running instances, rotated log files included", query: { lines: 'How many per instance (1–100000, 100 by default)' } });

  r.on('GET', '/v1/environments', async () => ({ environments: await environments(engine) }), {
    summary: 'Every environment: current release and digest, routes, instances, health, lock and last deployment',
  });
};

const mustGet = async (engine: Engine, id: string): Promise<StoredDeployment> => {
  const d = await engine.ctx.store.getDeployment(/^\d+$/.test(id) ? `d${id}` : id);
  if (!d) throw new SlipwayError('not_found', `no deployment "${id}"`, 'see the deployments with `slipway history ENV`');
  return d;
};

export const knownEnv = async (engine: Engine, env: string): Promise<void> => {
  const states = await engine.ctx.store.listEnvStates();
  const deployments = await engine.ctx.store.listDeployments(env, 1);
  if (!states.some((s) => s.env === env) && deployments.length === 0) {
    const known = [...new Set(states.map((s) => s.env))];
    throw new SlipwayError('not_found', `unknown environment "${env}" (nothing was deployed to it)`, known.length ? `environments with deployments: ${known.join(', ')}` : 'deploy first: `slipway deploy ENV`');
  }
};

/** Every environment with a recorded state: current release, port, instances, lock, what is in flight. */
export const environments = async (engine: Engine) => {
  const { store, runtime } = engine.ctx;
  const out = [];
  for (const s of await store.listEnvStates()) {
    const rel = s.currentRelease === undefined ? undefined : await store.getRelease(s.env, s.currentRelease);
    const instances = runtime.list(s.env);
    const lease = await store.getLease(s.env);
    const last = (await store.listDeployments(s.env, 1))[0];
    out.push({
      env: s.env,
      port: s.port ?? null,
      url: s.port ? `http://127.0.0.1:${s.port}/` : null,
      current: rel ? { release: releaseLabel(rel.number), digest: rel.digest, commit: rel.commit } : null,
      routes: s.routes.map((w) => ({ release: releaseLabel(w.release), weight: w.weight })),
      instances: instances.map((i) => ({ id: i.id, release: releaseLabel(i.release), state: i.state, port: i.port, pid: i.pid, restarts: i.restarts })),
      healthy: instances.filter((i) => s.currentRelease === i.release && i.state === 'healthy').length,
      lock: lease && lease.expiresAt > Date.now() ? { holder: lease.holder, purpose: lease.purpose } : null,
      lastDeployment: last ? historyEntry(last) : null,
    });
  }
  return out;
};

/** NDJSON: the deployment, its events so far, then live events until it finishes. */
const streamDeployment = async (engine: Engine, d: StoredDeployment, res: ServerResponse): Promise<typeof STREAMED> => {
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  const off = engine.ctx.bus.subscribe((n) => {
    if (n.type === 'event' && n.event.subject === d.id) {
      queue.push(n.event);
      wake?.();
    }
  });
  let closed = false;
  res.on('close', () => {
    closed = true;
    wake?.();
  });
  try {
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    const send = (o: unknown): void => void res.write(`${JSON.stringify(o)}\n`);
    send({ type: 'snapshot', deployment: d });
    let lastSeq = 0;
    for (const e of await engine.ctx.store.listEvents({ subject: d.id, limit: 10_000 })) {
      send({ type: 'event', event: e });
      lastSeq = e.seq;
    }
    for (;;) {
      const current = await engine.ctx.store.getDeployment(d.id);
      // A held deployment is not finished, but nothing happens to it until a person decides.
      if (closed || !current || current.finishedAt || current.phase === 'held') break;
      const e = queue.shift() as { seq: number } | undefined;
      if (!e) {
        await Promise.race([new Promise<void>((r) => (wake = r)), new Promise((r) => setTimeout(r, 500))]);
        wake = undefined;
        continue;
      }
      if (e.seq <= lastSeq) continue;
      lastSeq = e.seq;
      send({ type: 'event', event: e });
    }
    if (!closed) {
      for (const e of queue as { seq: number }[]) if (e.seq > lastSeq) send({ type: 'event', event: e });
      send({ type: 'end', deployment: await engine.ctx.store.getDeployment(d.id) });
      res.end();
    }
  } finally {
    off();
  }
  return STREAMED;
};
