// Continuous deployment: when the merge queue moves main, every environment with `deploy: auto`
// receives the artifact of the run that gated that commit (no rebuild). Environments that take
// promotions (`promote_from`) get it once it succeeded in their source environment.
import { SlipwayError } from '../../core/errors.js';
import type { EnvironmentSpec } from '../../config/types.js';
import type { Engine } from '../engine.js';
import { isoNow } from '../context.js';

export interface Released {
  /** The queue item(s) and batch that merged, for the record. */
  batchId: string;
  items: string[];
  commit: string;
  digest: string;
  environments: EnvironmentSpec[];
  /** Called once this environment's deployment is recorded, refused or superseded. */
  decided?: () => void;
}

/** How long a deployment waits for an environment another deployment holds, before it gives up. */
const LEASE_WAIT_MS = 10 * 60_000;
const RETRY_MS = 500;

/**
 * Deploys merged commits one at a time per environment; when main moves again before an
 * environment was free, only the newest commit is deployed there (an older one is superseded).
 */
export class AutoDeployer {
  private readonly latest = new Map<string, Released>();
  /** The batch whose deployment each environment is working on. */
  private readonly current = new Map<string, string>();
  private readonly busy = new Set<string>();
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Starts the deployments of a merged commit in the background; `recorded` is called once each
   * environment's deployment is recorded, refused or superseded (at once when none deploys).
   */
  release(r: Released, recorded: () => Promise<void> = () => Promise.resolve()): string[] {
    const direct = r.environments.filter((e) => e.deploy === 'auto' && e.promoteFrom === undefined);
    let left = direct.length;
    const one = (): void => {
      if (--left === 0) void recorded().catch((e: unknown) => this.log(`could not record ${r.batchId} as released: ${String(e)}`));
    };
    if (left === 0) void recorded().catch((e: unknown) => this.log(`could not record ${r.batchId} as released: ${String(e)}`));
    for (const env of direct) this.want(env.name, { ...r, decided: one });
    return direct.map((e) => e.name);
  }

  stop(): void {
    this.stopped = true;
  }

  private want(env: string, r: Released): void {
    // The same batch asked for again (released twice after a restart) is already on its way here.
    if (this.current.get(env) === r.batchId || this.latest.get(env)?.batchId === r.batchId) {
      this.log(`continuous deployment: ${r.batchId} is already being deployed to ${env}`);
      return;
    }
    this.latest.set(env, r);
    if (!this.busy.has(env)) void this.drain(env);
  }

  private async drain(env: string): Promise<void> {
    this.busy.add(env);
    try {
      for (;;) {
        const r = this.latest.get(env);
        if (!r || this.stopped) return;
        this.latest.delete(env);
        this.current.set(env, r.batchId);
        await this.deployOne(env, r);
      }
    } finally {
      this.current.delete(env);
      this.busy.delete(env);
    }
  }

  private async deployOne(env: string, r: Released): Promise<void> {
    const { deployer } = this.engine;
    const spec = r.environments.find((e) => e.name === env);
    const deadline = Date.now() + LEASE_WAIT_MS;
    for (;;) {
      if (this.stopped) return;
      if (this.latest.has(env)) {
        await this.record('queue.deploy_superseded', r, { env, reason: 'main moved again before this environment was free' });
        r.decided?.();
        return;
      }
      try {
        const h = spec?.promoteFrom ? await deployer.promote(spec.promoteFrom, env, {}) : await deployer.deploy({ env, digest: r.digest, commit: r.commit, trigger: 'auto' });
        await this.record('queue.deployed', r, { env, deployment: h.deployment.id, release: h.deployment.release });
        r.decided?.();
        this.log(`continuous deployment: ${r.digest.slice(0, 19)} (main ${r.commit.slice(0, 12)}) → ${env} as ${h.deployment.id}`);
        const done = await h.done;
        if (done.phase === 'succeeded') {
          for (const next of r.environments.filter((e) => e.deploy === 'auto' && e.promoteFrom === env)) this.want(next.name, { ...r, decided: () => undefined });
        }
        return;
      } catch (e) {
        const busy = e instanceof SlipwayError && e.code === 'conflict';
        if (busy && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, RETRY_MS));
          continue;
        }
        const reason = e instanceof Error ? e.message : String(e);
        await this.record('queue.deploy_failed', r, { env, reason });
        r.decided?.();
        this.log(`continuous deployment to ${env} did not start: ${reason}`);
        return;
      }
    }
  }

  private async record(kind: string, r: Released, data: Record<string, unknown>): Promise<void> {
    const { ctx } = this.engine;
    await ctx.store.appendEvent({ kind, actor: 'slipway', subject: r.batchId, data: { ...data, items: r.items, commit: r.commit, digest: r.digest } }, isoNow(ctx));
  }
}
