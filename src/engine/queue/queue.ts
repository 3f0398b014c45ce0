// The merge queue of the control plane: takes changes (from `slipway merge` or a push to
// refs/for/main), tests them in batches on the exact merged tree, moves main only to a tree on
// which every gate passed, and releases the artifact of that very run. State lives in SQLite, so
// the queue picks up where it was after a restart.
import { SlipwayError } from '../../core/errors.js';
import { MAIN_REF, QUEUE_TARGET_REF, queueRef } from '../../core/queue/hook.js';
import { judgeMain } from '../../core/queue/main-guard.js';
import { nextBatch } from '../../core/queue/plan.js';
import type { MainMove, QueueBatch, QueueItem } from '../../core/queue/types.js';
import type { RunRecord } from '../../core/run.js';
import type { QueueStore } from '../../ports/queue.js';
import type { Engine } from '../engine.js';
import { isoNow } from '../context.js';
import { loadPipelineAt } from '../run/pipeline.js';
import { buildBatch, runBatch, settleBatch } from './batch.js';
import { resumeQueue } from './resume.js';
import { AutoDeployer } from './cd.js';
import type { QueueDeps } from './deps.js';

export interface QueueOptions {
  /** Most items tested as one merged tree. */
  batchCap: number;
  log: (line: string) => void;
}

export interface Enqueued {
  item: QueueItem;
  /** True when the same commit was already waiting: that item is returned, no new one made. */
  existing: boolean;
}

const ACTIVE = ['queued', 'testing'] as const;

export class MergeQueue {
  private readonly deps: QueueDeps;
  private readonly cd: AutoDeployer;
  private canonicalReady: Promise<string> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private pending = false;
  private loopDone: Promise<void> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly store: QueueStore,
    private readonly opts: QueueOptions,
  ) {
    const { ctx } = engine;
    this.cd = new AutoDeployer(engine, opts.log);
    this.deps = {
      engine,
      store,
      canonical: '',
      log: opts.log,
      now: () => isoNow(ctx),
      event: async (kind, subject, data) => void (await ctx.store.appendEvent({ kind, actor: ctx.actor, subject, data }, isoNow(ctx))),
      merged: (batch, run) => this.merged(batch, run),
      markMain: (sha) => store.markMain(sha, isoNow(ctx)),
      stopping: () => this.stopping,
    };
  }

  get batchCap(): number {
    return this.opts.batchCap;
  }

  /** The canonical repository's path, creating it (and its hooks) on first use. */
  canonical(): Promise<string> {
    const host = this.engine.ctx.canonical;
    this.canonicalReady ??= host.ensure().then(
      (r) => {
        if (r.created) this.opts.log(`created the canonical repository ${host.path} (main: ${r.main?.slice(0, 12) ?? 'none yet'})`);
        this.deps.canonical = host.path;
        return host.path;
      },
      (e: unknown) => {
        this.canonicalReady = undefined;
        throw e;
      },
    );
    return this.canonicalReady;
  }

  /**
   * Queues a branch of the control plane's repository (`slipway merge`): its commits are copied
   * into the canonical repository (a fetch, which runs no push hook) and kept under the item's ref.
   */
  async enqueueBranch(req: { branch: string; sha: string; actor: string }): Promise<Enqueued> {
    await this.canonical();
    const host = this.engine.ctx.canonical;
    const from = this.engine.ctx.repo;
    const incoming = `refs/slipway/incoming/${process.pid}-${Date.now()}`;
    const fetched = await host.fetchFrom(from, `refs/heads/${req.branch}`, incoming);
    if (!fetched.ok) throw new SlipwayError('not_found', `no branch "${req.branch}" in ${from}: ${fetched.message}`, 'list the branches with `git branch`');
    const sha = await host.readRef(incoming);
    try {
      if (sha !== req.sha) throw new SlipwayError('conflict', `branch "${req.branch}" moved while it was being queued (${req.sha.slice(0, 12)} → ${sha?.slice(0, 12) ?? 'gone'})`, 'run `slipway merge` again');
      return await this.enqueue({ source: 'merge', branch: req.branch, sha, actor: req.actor });
    } finally {
      // The item's own ref keeps the commit from now on.
      if (sha) await host.deleteRefIf(incoming, sha);
    }
  }

  /** Queues a commit pushed to refs/for/main (the post-receive hook), and clears that ref. */
  async enqueuePush(req: { sha: string; actor: string }): Promise<Enqueued> {
    await this.canonical();
    const out = await this.enqueue({ source: 'push', branch: QUEUE_TARGET_REF, sha: req.sha, actor: req.actor });
    // The ref only carried the push; the item's own ref keeps the commit from now on.
    await this.engine.ctx.canonical.deleteRefIf(QUEUE_TARGET_REF, req.sha);
    return out;
  }

  /**
   * Queues a commit pushed to an app's remote (an incoming webhook): the remote's `ref` is fetched
   * into a quarantine ref of the canonical repository (never main), the pushed commit must be that
   * ref's tip or an ancestor of it (the remote may have moved on since), and it is queued as a
   * push would be. The quarantine ref is removed whatever happens; the item's ref keeps the commit.
   */
  async enqueueRemote(req: { url: string; ref: string; sha: string; actor: string; delivery: string }): Promise<Enqueued> {
    await this.canonical();
    const host = this.engine.ctx.canonical;
    const quarantine = `refs/slipway/incoming/webhook-${req.delivery.slice(0, 40)}-${Date.now()}`;
    const fetched = await host.fetchRemote(req.url, req.ref, quarantine);
    if (!fetched.ok) throw new SlipwayError('unavailable', `${req.ref} could not be fetched from the app's remote: ${fetched.message}`, 'check the remote (`slipway apps webhook APP`) and that the server can reach it, then redeliver');
    const tip = await host.readRef(quarantine);
    try {
      if (tip === undefined) throw new SlipwayError('unavailable', `${req.ref} was not found on the app's remote`, 'check the remote (`slipway apps webhook APP`)');
      if (tip !== req.sha && !(await host.isAncestor(req.sha, tip))) {
        throw new SlipwayError('conflict', `the pushed commit ${req.sha.slice(0, 12)} is not on the remote's ${req.ref} (now ${tip.slice(0, 12)}): it was force-pushed away`, 'push again; the newer push is queued by its own delivery');
      }
      return await this.enqueue({ source: 'push', branch: req.ref, sha: req.sha, actor: req.actor });
    } finally {
      if (tip) await host.deleteRefIf(quarantine, tip);
    }
  }

  private async enqueue(req: { source: 'merge' | 'push'; branch: string; sha: string; actor: string }): Promise<Enqueued> {
    const path = await this.canonical();
    const commit = await this.engine.ctx.vcs.resolve(path, req.sha);
    if (!commit) throw new SlipwayError('not_found', `commit ${req.sha.slice(0, 12)} is not in the canonical repository`, 'push it again');
    const host = this.engine.ctx.canonical;
    const main = await host.readRef(MAIN_REF);
    if (main !== undefined && (await host.isAncestor(req.sha, main))) {
      throw new SlipwayError('usage', `nothing to merge: ${req.branch} (${req.sha.slice(0, 12)}) is already part of main`, 'commit the change on the branch first');
    }
    const waiting = (await this.store.listItems({ states: [...ACTIVE] })).find((i) => i.sha === req.sha);
    if (waiting) return { item: waiting, existing: true };
    const item = await this.store.createItem({ source: req.source, branch: req.branch, sha: req.sha, subject: commit.subject, author: commit.author, actor: req.actor }, isoNow(this.engine.ctx));
    await host.setRef(queueRef(item.id), req.sha, `slipway queue: ${item.id}`);
    await this.deps.event('queue.enqueued', item.id, { source: req.source, branch: req.branch, commit: req.sha, subject: commit.subject });
    this.engine.ctx.crash?.at('merge.enqueued');
    this.opts.log(`${item.id} queued: ${req.branch} at ${req.sha.slice(0, 12)} (${commit.subject})`);
    this.poke();
    return { item, existing: false };
  }

  /** The app's name (git's smart HTTP serves the repository as /git/<app>.git): from main's slipway.yaml, else the working repository's. */
  async appName(): Promise<string | undefined> {
    const path = await this.canonical();
    for (const [ctx, ref] of [
      [{ ...this.engine.ctx, repo: path }, MAIN_REF],
      [this.engine.ctx, 'HEAD'],
    ] as const) {
      try {
        return (await loadPipelineAt(ctx, ref)).config.app;
      } catch {
        // No main yet, or no valid slipway.yaml there: try the next place.
      }
    }
    return undefined;
  }

  async get(id: string): Promise<{ item: QueueItem; batch?: QueueBatch }> {
    const item = await this.store.getItem(id);
    if (!item) throw new SlipwayError('not_found', `no queue item "${id}"`, 'list the queue with `slipway queue`');
    return { item, batch: item.batchId ? await this.store.getBatch(item.batchId) : undefined };
  }

  /** The canonical repository's path, without creating it. */
  get path(): string {
    return this.engine.ctx.canonical.path;
  }

  /** Whether the canonical repository exists yet (it is made on first use). */
  get exists(): boolean {
    return this.engine.ctx.canonical.exists();
  }

  async list(limit: number): Promise<{ items: QueueItem[]; main?: string; batchCap: number; halted: MainMove | null }> {
    const main = this.exists ? await this.engine.ctx.canonical.readRef(MAIN_REF) : undefined;
    return { items: await this.store.listItems({ limit }), main, batchCap: this.opts.batchCap, halted: (await this.store.mainMark())?.halt ?? null };
  }

  /**
   * Compares the canonical main with what the queue last wrote. A move the queue did not make
   * stops it (recorded once, in the audit trail as `queue.main_moved`); main put back where the
   * queue left it resumes it. False while stopped.
   */
  private async guardMain(): Promise<boolean> {
    await this.canonical();
    const at = isoNow(this.engine.ctx);
    const mark = await this.store.mainMark();
    const current = await this.engine.ctx.canonical.readRef(MAIN_REF);
    if (mark?.halt) {
      if (current !== mark.sha) return false;
      await this.store.markMain(current, at);
      await this.deps.event('queue.main_restored', 'main', { main: current ?? null, moved: mark.halt.found ?? null });
      this.opts.log(`main is back at ${current?.slice(0, 12) ?? '(none)'}, where the queue left it: the queue resumes`);
      return true;
    }
    const verdict = judgeMain(mark, current, await this.store.batchesIn('testing'), at);
    switch (verdict.kind) {
      case 'same':
        return true;
      case 'adopt':
      case 'ours':
        await this.store.markMain(verdict.sha, at);
        return true;
      case 'moved':
        await this.store.haltOn(verdict.move);
        await this.deps.event('queue.main_moved', 'main', { expected: verdict.move.expected ?? null, found: verdict.move.found ?? null, by: verdict.move.by });
        this.opts.log(`merge queue stopped: ${verdict.move.message}`);
        return false;
    }
  }

  /** Takes the main found after a move the queue did not make as its own (after someone checked it), and resumes. */
  async acceptMain(req: { sha: string; actor: string }): Promise<{ main: string | undefined; previous: string | undefined }> {
    await this.canonical();
    const mark = await this.store.mainMark();
    if (!mark?.halt) throw new SlipwayError('conflict', 'the merge queue is not stopped: main is where the queue left it', 'nothing to accept');
    const current = await this.engine.ctx.canonical.readRef(MAIN_REF);
    if (current !== req.sha) {
      throw new SlipwayError('conflict', `main is at ${current?.slice(0, 12) ?? '(none)'} now, not ${req.sha.slice(0, 12)}`, 'check it again, then accept the commit main holds now');
    }
    await this.store.markMain(current, isoNow(this.engine.ctx));
    await this.deps.event('queue.main_accepted', 'main', { main: current, previous: mark.sha ?? null, actor: req.actor });
    this.opts.log(`${req.actor} accepted main at ${current.slice(0, 12)}: the queue resumes`);
    this.poke();
    return { main: current, previous: mark.sha };
  }

  /** Resumes what a previous control plane left in flight, then starts working through the queue. */
  async start(): Promise<void> {
    // Nothing to resume before the repository exists; it is made by the first use, not here.
    if (this.exists) {
      await this.canonical();
      // A main moved while the control plane was down stops the queue before anything resumes.
      if (await this.guardMain()) await resumeQueue(this.deps, (batch, run) => this.release(batch, run));
      const left = await this.engine.ctx.canonical.readRef(QUEUE_TARGET_REF);
      if (left) await this.enqueuePush({ sha: left, actor: 'slipway (a push received while the control plane was down)' }).catch((e: unknown) => this.opts.log(`refs/for/main ${left.slice(0, 12)} could not be queued: ${String(e)}`));
    }
    this.loopDone = this.loop();
  }

  /** Stops taking new batches; a batch under test is left for the next control plane to resume. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cd.stop();
    this.wake?.();
    await this.loopDone;
  }

  private poke(): void {
    this.pending = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.pending = false;
      let worked = false;
      try {
        worked = await this.once();
      } catch (e) {
        this.opts.log(`merge queue: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (worked || this.pending || this.stopping) continue;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 5000).unref();
      });
      this.wake = undefined;
    }
  }

  /** Tests the next batch; false when the queue is empty. */
  private async once(): Promise<boolean> {
    if (this.exists && !(await this.guardMain())) return false;
    const queued = await this.store.listItems({ states: ['queued'] });
    const ids = nextBatch(queued, this.opts.batchCap);
    if (ids.length === 0) return false;
    const items = ids.map((id) => queued.find((i) => i.id === id)).filter((i): i is QueueItem => i !== undefined);
    await this.canonical();
    const base = await this.engine.ctx.canonical.readRef(MAIN_REF);
    const built = await buildBatch(this.deps, items, base);
    if (!built) return true;
    const at = isoNow(this.engine.ctx);
    const batch = await this.store.createBatch({ items: built.included.map((i) => i.id), base, tip: built.tip, state: 'testing', createdAt: at });
    for (const i of built.included) await this.store.updateItem(i.id, { state: 'testing', batchId: batch.id }, at);
    this.engine.ctx.crash?.at('merge.batch-created');
    // Stopping: the batch stays "testing" without a run, and the next control plane tests it.
    if (this.stopping) return true;
    const outcome = await runBatch(this.deps, batch);
    // A run canceled because the control plane stops is not a verdict: the next one tests again.
    if (this.stopping && !('error' in outcome) && outcome.status === 'canceled') {
      const steps = await this.engine.ctx.store.getSteps(outcome.id);
      if (!steps.some((s) => s.status === 'failed')) return true;
    }
    await settleBatch(this.deps, (await this.store.getBatch(batch.id)) ?? batch, outcome);
    return true;
  }

  /** Main moved to the batch's commit: record it, show it in the working repository, release it. */
  private async merged(batch: QueueBatch, run: RunRecord): Promise<void> {
    const at = isoNow(this.engine.ctx);
    for (const id of batch.items) {
      await this.store.updateItem(id, { state: 'merged', mergedAs: batch.tip, digest: run.digest, finishedAt: at, clearChunk: true }, at);
      await this.deps.event('queue.merged', id, { batch: batch.id, main: batch.tip, previous: batch.base ?? null, run: run.id, digest: run.digest ?? null });
    }
    await this.store.updateBatch(batch.id, { state: 'merged', finishedAt: at });
    this.engine.ctx.crash?.at('merge.merged');
    this.opts.log(`main → ${batch.tip.slice(0, 12)}: merged ${batch.items.join(', ')} (run ${run.id}, artifact ${run.digest ?? 'none'})`);
    await this.release(batch, run);
  }

  /**
   * Continuous deployment of a merged batch. The batch records that it was released once every
   * environment's deployment is recorded (or was refused, or superseded): a control plane killed
   * before that releases it again when it starts, instead of losing the deployment.
   */
  private async release(batch: QueueBatch, run: RunRecord): Promise<void> {
    const published = await this.engine.ctx.canonical.publishMainTo(this.engine.ctx.repo);
    if (!published.ok) this.opts.log(`could not record the new main in ${this.engine.ctx.repo} as slipway/main: ${published.message}`);
    const released = (): Promise<void> => this.store.updateBatch(batch.id, { deployed: true });
    if (!run.digest) return released();
    try {
      const { config } = await loadPipelineAt({ ...this.engine.ctx, repo: this.deps.canonical }, batch.tip);
      const started = this.cd.release({ batchId: batch.id, items: batch.items, commit: batch.tip, digest: run.digest, environments: config.environments }, released);
      this.engine.ctx.crash?.at('merge.released');
      if (started.length > 0) this.opts.log(`continuous deployment of ${run.digest.slice(0, 19)} to ${started.join(', ')}`);
    } catch (e) {
      await this.deps.event('queue.deploy_failed', batch.id, { reason: e instanceof Error ? e.message : String(e) });
      await released();
    }
  }
}
