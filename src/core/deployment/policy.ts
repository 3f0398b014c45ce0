// Deployment policy as pure decisions: whether a deploy or a promotion may go ahead, what a --force
// overrides (recorded on the deployment, never silent), and which strategy it uses. The engine
// gathers the facts (the environment's spec, the bad digests, the source's history) and refuses
// with the message and hint returned here.
import type { Strategy } from '../../config/types.js';
import type { DeployTrigger } from './types.js';

export type PolicyRefusal = { ok: false; message: string; hint: string };

export interface DeployPolicyInput {
  env: string;
  digest: string;
  trigger: DeployTrigger;
  force: boolean;
  /** The environment's `promote_from`, if it takes only promoted digests. */
  promoteFrom?: string;
  /** The digest was rolled back in this environment and is marked bad. */
  digestIsBad: boolean;
  /** The environment's configured strategy. */
  configured: Strategy;
  /** A strategy asked for on the command line, overriding the configured one. */
  requested?: 'blue-green' | 'canary';
}

export type DeployDecision = { ok: true; strategy: Strategy; forced: boolean; forcedReasons: string[] } | PolicyRefusal;

/** The canary a `--strategy canary` uses when the environment has no canary steps of its own. */
export const DEFAULT_CANARY: Strategy = { kind: 'canary', steps: [0.1, 0.5, 1], pauseMs: 10_000 };

/**
 * Whether a digest may be deployed to an environment.
 *
 * @example
 * checkDeploy({ env: 'prod', digest: 'sha256:ab…', trigger: 'deploy', force: false, promoteFrom: 'staging', digestIsBad: false, configured: { kind: 'blue-green' } })
 * // { ok: false, message: 'prod takes only digests promoted from staging', hint: 'run `slipway promote staging prod`, …' }
 */
export const checkDeploy = (p: DeployPolicyInput): DeployDecision => {
  const forcedReasons: string[] = [];
  if (p.promoteFrom && p.trigger === 'deploy') {
    if (!p.force) return { ok: false, message: `${p.env} takes only digests promoted from ${p.promoteFrom}`, hint: `run \`slipway promote ${p.promoteFrom} ${p.env}\`, or deploy anyway with --force (recorded)` };
    forcedReasons.push(`deployed directly although ${p.env} has promote_from: ${p.promoteFrom}`);
  }
  if (p.digestIsBad) {
    if (!p.force) return { ok: false, message: `${p.digest} was rolled back in ${p.env} and is marked bad`, hint: 'deploy a fixed build, or redeploy it anyway with --force (recorded)' };
    forcedReasons.push('the digest is marked bad');
  }
  return { ok: true, strategy: chooseStrategy(p.configured, p.requested), forced: p.force && forcedReasons.length > 0, forcedReasons };
};

/** The strategy of a deployment: the one asked for, shaped by the environment's own canary steps. */
export const chooseStrategy = (configured: Strategy, requested: 'blue-green' | 'canary' | undefined): Strategy => {
  if (requested === undefined) return configured;
  if (requested === 'blue-green') return { kind: 'blue-green' };
  return configured.kind === 'canary' ? configured : DEFAULT_CANARY;
};

export interface PromotionPolicyInput {
  from: string;
  to: string;
  force: boolean;
  /** The target environment's `promote_from`, if any. */
  targetPromoteFrom?: string;
  /** The digest succeeded (was verified) in `from` and was not rolled back since. */
  succeededInSource: boolean;
  digest: string;
}

/**
 * Whether the digest live in `from` may be promoted to `to`. --force overrides only the choice of
 * source environment: a digest that never succeeded anywhere is never promoted.
 */
export const checkPromotion = (p: PromotionPolicyInput): { ok: true } | PolicyRefusal => {
  if (p.targetPromoteFrom && p.targetPromoteFrom !== p.from && !p.force) {
    return { ok: false, message: `${p.to} takes promotions from ${p.targetPromoteFrom} only, not from ${p.from}`, hint: `run \`slipway promote ${p.targetPromoteFrom} ${p.to}\`` };
  }
  if (!p.succeededInSource) return { ok: false, message: `${p.digest} never succeeded in ${p.from}`, hint: `deploy it to ${p.from} and let it verify first` };
  return { ok: true };
};
