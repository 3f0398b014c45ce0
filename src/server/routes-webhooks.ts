// Incoming push webhooks of an app whose repository lives elsewhere (docs/webhooks.md): GitHub's
// push event (X-Hub-Signature-256) and a generic signed push (X-Slipway-Signature over
// `<timestamp>.<body>`, the scheme of the Alertmanager receiver). Both check the app's webhook
// secret over the exact bytes before anything else, refuse a delivery id seen before, fetch the
// pushed commit from the app's remote into a quarantine ref and queue it as a push would be.
// A request that fails a check changes nothing. Also the admin routes that set the remote and
// the secret, and show them (never the secret's value).
import type { IncomingMessage } from 'node:http';
import * as z from 'zod';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import { WEBHOOK_ENV, WEBHOOK_SECRET_NAME } from '../core/secrets/names.js';
import { checkGithubDelivery, checkSignedDelivery, decidePush, parsePushPayload, type DeliveryCheck, type PushDecision } from '../core/webhooks/incoming.js';
import { parseGenericPush, remoteUrlProblem } from '../core/webhooks/remote.js';
import type { Engine } from '../engine/engine.js';
import { queueOf } from '../engine/queue/index.js';
import type { DeliveryRecord } from '../ports/webhooks.js';
import { currentPrincipal } from './auth.js';
import { withWebhookStore } from './compose-webhooks.js';
import { HttpError, Reply, readRawBody, type Router } from './http.js';

/** The paths of an app's webhooks (under /v1/apps/<app> on a server with many apps). */
export const WEBHOOK_PATHS: readonly string[] = ['/v1/webhooks/github', '/v1/webhooks/signed'];

/** Shortest webhook secret accepted (GitHub suggests a long random string). */
export const MIN_WEBHOOK_SECRET = 16;

const header = (raw: IncomingMessage, name: string): string | undefined => {
  const v = raw.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const parseJson = (body: Buffer): unknown => {
  const text = body.toString('utf8');
  if (text.startsWith('payload=')) throw new HttpError(400, 'the body is form-encoded: set the webhook’s content type to application/json');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, `the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
};

const received = z.object({
  outcome: z.enum(['queued', 'ignored']),
  delivery: z.string(),
  item: z.string().optional().describe('The queue item (q3) of a queued push'),
  existing: z.boolean().optional().describe('True when that commit was queued already'),
  reason: z.string().optional().describe('Why nothing was done'),
});

export const addWebhookRoutes = (r: Router, engine: Engine): void => {
  const { ctx } = engine;
  const secretOf = (): Promise<string | undefined> => ctx.envConfig.secretValue(WEBHOOK_ENV, WEBHOOK_SECRET_NAME);

  /**
   * What an authentic delivery asks for, done once: the delivery id is claimed (a replay: 409), the
   * event recorded; a push to main is fetched and queued. A delivery that failed before changing
   * anything (the remote unreachable) is forgotten, so that the forge's redeliver can try again.
   */
  const act = async (check: Extract<DeliveryCheck, { ok: true }>, kind: DeliveryRecord['kind'], decision: PushDecision | { kind: 'event'; reason: string }): Promise<Reply> => {
    const actor = kind === 'github' ? 'webhook (github)' : 'webhook (signed)';
    const remote = decision.kind === 'queue' ? await withWebhookStore(ctx.home, (s) => s.remote()) : undefined;
    if (decision.kind === 'queue' && remote === undefined) {
      throw new SlipwayError('config', 'this app has no remote to fetch pushed commits from', 'set it with `slipway apps webhook APP --remote URL`');
    }
    const claimed = await withWebhookStore(ctx.home, (s) => s.claim({ delivery: check.delivery, kind, event: check.event, receivedAt: new Date().toISOString() }));
    if (!claimed) throw new SlipwayError('conflict', `delivery ${check.delivery.slice(0, 80)} was received before: a replay is refused`, 'a new push gets a new delivery; nothing was changed');
    const record = async (outcome: 'queued' | 'ignored', detail: string): Promise<void> => {
      await withWebhookStore(ctx.home, (s) => s.settle(check.delivery, outcome, detail));
      await ctx.store.appendEvent({ kind: 'webhook.received', actor, subject: check.delivery, data: { event: check.event, outcome, detail } }, new Date().toISOString());
    };
    if (decision.kind !== 'queue') {
      await record('ignored', decision.reason);
      return new Reply(202, { outcome: 'ignored', delivery: check.delivery, reason: decision.reason });
    }
    try {
      const out = await queueOf(engine).enqueueRemote({ url: remote?.url ?? '', ref: 'refs/heads/main', sha: decision.commit, actor, delivery: check.delivery });
      await record('queued', out.item.id);
      return new Reply(202, { outcome: 'queued', delivery: check.delivery, item: out.item.id, existing: out.existing });
    } catch (e) {
      // A commit already on main (pushed twice, or merged by the queue) is nothing to do.
      if (isSlipwayError(e) && e.code === 'usage') {
        await record('ignored', e.message);
        return new Reply(202, { outcome: 'ignored', delivery: check.delivery, reason: e.message });
      }
      await withWebhookStore(ctx.home, (s) => s.forget(check.delivery));
      throw e;
    }
  };

  r.hook('POST', '/v1/webhooks/github', async (req) => {
    // No secret: 401 before the body is read.
    const secret = await secretOf();
    if (secret === undefined) throw new HttpError(401, 'no webhook secret is configured for this app, so no delivery can be authenticated');
    const body = await readRawBody(req.raw);
    const check = checkGithubDelivery({ signature: header(req.raw, 'x-hub-signature-256'), event: header(req.raw, 'x-github-event'), delivery: header(req.raw, 'x-github-delivery') }, body, secret, () => false);
    if (!check.ok) throw new HttpError(check.status, check.message);
    if (check.event !== 'push') return act(check, 'github', { kind: 'event', reason: `${check.event} events are not acted on: only push` });
    const push = parsePushPayload(parseJson(body));
    if (!push.ok) throw new HttpError(400, `"${push.field}" ${push.message}`);
    return act(check, 'github', decidePush(push.push));
  }, {
    summary: 'Receive a GitHub push webhook (X-Hub-Signature-256, X-GitHub-Event, X-GitHub-Delivery)',
    description:
      'Authenticated by the app’s webhook secret (HMAC-SHA256 over the exact body, compared in constant time), not by the API token; 401 and nothing changed otherwise. A push to main is fetched from the app’s remote into a quarantine ref and queued (202, outcome "queued"); other events and refs are answered 202 with outcome "ignored". A delivery id seen before: 409. No remote set: 400. The remote unreachable: 503, and the delivery may be redelivered. docs/webhooks.md.',
    response: received,
    status: 202,
    tag: 'hooks',
  });

  r.hook('POST', '/v1/webhooks/signed', async (req) => {
    const secret = await secretOf();
    if (secret === undefined) throw new HttpError(401, 'no webhook secret is configured for this app, so no delivery can be authenticated');
    const body = await readRawBody(req.raw);
    const check = checkSignedDelivery({ signature: header(req.raw, 'x-slipway-signature'), timestamp: header(req.raw, 'x-slipway-timestamp') }, body, secret, Date.now(), () => false);
    if (!check.ok) throw new HttpError(check.status, check.message);
    const push = parseGenericPush(parseJson(body));
    if (!push.ok) throw new HttpError(400, `"${push.field}" ${push.message}`);
    return act(check, 'signed', decidePush({ ref: push.push.ref, after: push.push.commit, repository: '' }));
  }, {
    summary: 'Receive a generic signed push: {"commit": "<40 hex>", "ref": "refs/heads/main"}',
    description:
      'Signed with the app’s webhook secret: `X-Slipway-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` and `X-Slipway-Timestamp: <Unix seconds>` within 300 s of the server’s clock; a signature seen before is a replay (409). Otherwise as the GitHub route. docs/webhooks.md.',
    response: received,
    status: 202,
    tag: 'hooks',
  });

  r.on('GET', '/v1/webhook', async () => {
    const { remote, deliveries } = await withWebhookStore(ctx.home, async (s) => ({ remote: await s.remote(), deliveries: await s.list(20) }));
    const secret = (await ctx.envConfig.listSecrets(WEBHOOK_ENV)).find((m) => m.name === WEBHOOK_SECRET_NAME);
    return { remote: remote ?? null, secret: secret ? { version: secret.version, updatedAt: secret.updatedAt } : null, deliveries };
  }, { summary: 'The app’s incoming webhooks: its remote, whether a secret is set (never its value) and the last deliveries', tag: 'hooks' });

  r.on('PUT', '/v1/webhook', async (req) => {
    const body = (await req.body()) as { remote?: string; secret_base64?: string };
    if (body.remote === undefined && body.secret_base64 === undefined) throw new SlipwayError('usage', 'nothing to change: give "remote", "secret_base64" or both');
    const problem = body.remote === undefined ? undefined : remoteUrlProblem(body.remote);
    if (problem) throw new SlipwayError('usage', `"remote" ${JSON.stringify(body.remote?.slice(0, 80))}: ${problem}`, 'e.g. `slipway apps webhook shop --remote https://github.com/acme/shop.git`');
    let secret: Buffer | undefined;
    if (body.secret_base64 !== undefined) {
      const b64 = body.secret_base64;
      if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new SlipwayError('usage', '"secret_base64" must be the secret in base64', 'the CLI reads the secret from stdin: `slipway apps webhook APP --secret`');
      secret = Buffer.from(b64, 'base64');
      const text = secret.toString('utf8').replace(/\r?\n$/, '');
      if (text.length < MIN_WEBHOOK_SECRET || /\s/.test(text)) throw new SlipwayError('usage', `the webhook secret must be at least ${MIN_WEBHOOK_SECRET} characters with no whitespace`, 'make one with `openssl rand -hex 32`');
    }
    const actor = currentPrincipal()?.name ?? ctx.actor;
    // The secret first: a refused secret leaves the remote as it was too.
    const version = secret ? (await ctx.envConfig.setSecret(WEBHOOK_ENV, WEBHOOK_SECRET_NAME, secret)).meta.version : undefined;
    if (body.remote !== undefined) {
      const url = body.remote;
      await withWebhookStore(ctx.home, (s) => s.setRemote({ url, setAt: new Date().toISOString(), setBy: actor }));
    }
    await ctx.store.appendEvent({ kind: 'webhook.configured', actor, subject: 'webhook', data: { ...(body.remote !== undefined ? { remote: body.remote } : {}), ...(version !== undefined ? { secretVersion: version } : {}) } }, new Date().toISOString());
    const remote = await withWebhookStore(ctx.home, (s) => s.remote());
    return { remote: remote ?? null, secretVersion: version ?? null };
  }, {
    summary: 'Set the app’s webhook remote and/or secret (the secret is sealed in the encrypted store and never shown)',
    role: 'admin',
    body: z.strictObject({
      remote: z.string().min(1).optional().describe('Where pushed commits are fetched from: https://host/path, ssh://host/path, user@host:path, file:///path or an absolute path; no password in it'),
      secret_base64: z.string().optional().describe(`The webhook secret in base64 (at least ${MIN_WEBHOOK_SECRET} characters, no whitespace)`),
    }),
    tag: 'hooks',
  });
};
