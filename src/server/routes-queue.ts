// The API of the merge queue and the canonical repository: queue a branch or a pushed commit,
// list the queue, show one item with its report, create the repository and say where it is.
import { SlipwayError } from '../core/errors.js';
import { normaliseItemId } from '../core/queue/plan.js';
import type { Engine } from '../engine/engine.js';
import { queueOf } from '../engine/queue/index.js';
import { currentPrincipal } from './auth.js';
import * as z from 'zod';
import { Reply, optionalString, type Request, type Router } from './http.js';

const requiredString = (body: unknown, key: string): string => {
  const v = optionalString(body, key);
  if (v === undefined) throw new SlipwayError('usage', `"${key}" is required`);
  return v;
};

const sha = (body: unknown): string => {
  const v = requiredString(body, 'sha');
  if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(v)) throw new SlipwayError('usage', `"sha" must be a full commit id (40 hex digits), not "${v.slice(0, 80)}"`);
  return v;
};

/** A branch name git would accept, without anything that reads as an option or a ref expression. */
const branchName = (v: string): string => {
  if (v.startsWith('-') || v.startsWith('refs/') || /[\s~^:?*[\\]|\.\.|@\{|\/\/|\.lock$|^\/|\/$/.test(v)) {
    throw new SlipwayError('usage', `"${v.slice(0, 80)}" is not a branch name`, 'give the name of a local branch, as `git branch` lists it');
  }
  return v;
};

const limitOf = (req: Request): number => {
  const raw = req.query.get('limit');
  if (raw === null) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new SlipwayError('usage', `limit must be a whole number from 1 to 10000, not "${raw}"`);
  return n;
};

const commitId = z.string().describe('A full commit id (40 hex digits)');
const actor = z.string().min(1).optional().describe('Who the change comes from; only the home’s own token may name someone else (the receive hook does)');

export const addQueueRoutes = (r: Router, engine: Engine): void => {
  // Who queued a change: the home's own token speaks for others (the receive hook passes the user
  // a push came from); a named token is always itself, whatever its body says.
  const claimedActor = (body: unknown): string => (currentPrincipal()?.home === true ? optionalString(body, 'actor') : undefined) ?? engine.ctx.actor;
  r.on('POST', '/v1/queue', async (req) => {
    const body = await req.body();
    // The branch is always taken from the control plane's own repository: a path or URL from the
    // client would let it make git fetch from anywhere (or run what `--upload-pack=` names).
    if (body !== null && typeof body === 'object' && 'repo' in body) {
      throw new SlipwayError('usage', '"repo" is not accepted: the branch is taken from the repository this control plane serves', 'send only "branch" and "sha"');
    }
    const out = await queueOf(engine).enqueueBranch({ branch: branchName(requiredString(body, 'branch')), sha: sha(body), actor: claimedActor(body) });
    return new Reply(out.existing ? 200 : 201, out);
  }, {
    summary: "Queue a branch of the control plane's repository for the merge queue",
    description: '201 with the new item; 200 with the existing one when that commit is already queued. The branch is always read from the repository this control plane serves.',
    status: 201,
    body: z.strictObject({ branch: z.string().min(1).describe('A local branch name, as `git branch` lists it'), sha: commitId, actor }),
  });

  r.on('POST', '/v1/queue/accept-main', async (req) => {
    const body = await req.body();
    return queueOf(engine).acceptMain({ sha: sha(body), actor: claimedActor(body) });
  }, {
    summary: "Accept a commit as the canonical repository's main without the queue (a deliberate override)",
    role: 'admin',
    body: z.strictObject({ sha: commitId, actor }),
  });

  r.on('POST', '/v1/queue/pushes', async (req) => {
    const body = await req.body();
    const out = await queueOf(engine).enqueuePush({ sha: sha(body), actor: claimedActor(body) });
    return new Reply(out.existing ? 200 : 201, out);
  }, {
    summary: 'Queue a commit pushed to the canonical repository (what its receive hook calls)',
    status: 201,
    body: z.strictObject({ sha: commitId, actor }),
  });

  r.on('GET', '/v1/queue', async (req) => {
    const q = queueOf(engine);
    return { ...(await q.list(limitOf(req))), canonical: q.path };
  }, { summary: 'The merge queue: its items, batches and main', query: { limit: 'How many items (1–10000, 50 by default)' } });

  r.on('GET', '/v1/queue/:id', async (req) => {
    const raw = req.params.id ?? '';
    const id = normaliseItemId(raw);
    if (!id) throw new SlipwayError('not_found', `no queue item "${raw}": queue items are named q1, q2, …`, 'list the queue with `slipway queue`');
    const { item, batch } = await queueOf(engine).get(id);
    const runs = await Promise.all(item.runIds.map((rid) => engine.ctx.store.getRun(rid)));
    return { item, batch, runs: runs.filter((x) => x !== undefined) };
  }, { summary: 'A queue item (q3) with its batch, runs and report' });

  r.on('POST', '/v1/remote', async () => ({ path: await queueOf(engine).canonical() }), { summary: 'Create the canonical repository (once)', role: 'admin' });

  r.on('GET', '/v1/remote', async () => {
    const q = queueOf(engine);
    const { main } = await q.list(1);
    const app = await q.appName();
    return { path: await q.canonical(), main: main ?? null, app: app ?? null, httpPath: app ? `/git/${app}.git` : null };
  }, { summary: 'Where the canonical repository is: its path, main, app and git HTTP path' });
};
