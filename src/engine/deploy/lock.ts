// The deploy lock of an environment, taken by every use case that changes what it runs.
import { LEASE_MS } from '../../core/deployment/lease.js';
import { SlipwayError } from '../../core/errors.js';
import type { EngineContext } from '../context.js';

/** Takes the environment's lease, or throws a conflict (409) naming who holds it, since when and why. */
export const lockOrThrow = async (ctx: EngineContext, env: string, holder: string, purpose: string): Promise<void> => {
  const d = await ctx.store.acquireLease({ env, holder, purpose }, Date.now(), LEASE_MS);
  if (!d.ok) {
    const since = new Date(d.heldBy.acquiredAt).toISOString();
    throw new SlipwayError('conflict', `${env} is locked by ${d.heldBy.holder} (${d.heldBy.purpose}) since ${since}`, 'wait for it to finish (slipway deploy waits unless --no-wait), or follow it with `slipway status`', { holder: d.heldBy.holder, purpose: d.heldBy.purpose, since, expiresAt: d.heldBy.expiresAt });
  }
};
