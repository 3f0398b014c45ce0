// Deployment policy as pure decisions: whether a deploy or a promotion may go ahead, what a --force
// overrides (recorded on the deployment, never silent), and which strategy it uses. The engine
// gathers the facts (the environment's spec, the bad digests, the source's history) and refuses
// with the message and hint returned here.
import type { Strategy } from '../config/types.js';
import type { RunStatus } from '../run.js';
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
  /**
   * The digest was named by hand (--digest) and no run that built it passed: the newest such run,
   * which failed (its gates, or a later step). Absent when a run that built it passed.
   */
  failedRun?: { number: number; reason?: string };
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
  if (p.failedRun && p.trigger === 'deploy') {
    const why = p.failedRun.reason ? `: ${p.failedRun.reason}` : '';
    if (!p.force) return { ok: false, message: `${p.digest} was built by run #${p.failedRun.number}, which failed${why}`, hint: 'deploy a build whose run passed, or deploy this one anyway with --force (recorded)' };
    forcedReasons.push(`its run #${p.failedRun.number} failed`);
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

/** A pipeline run as the deploy policy sees it. */
export interface RunFacts {
  id: string;
  number: number;
  commit: string;
  message: string;
  status: RunStatus;
  digest?: string;
  reason?: string;
}

/** The run `slipway deploy ENV` deploys, and what to tell the user about the choice. */
/** `nothingBuilt`: no green build exists at all (not found), rather than a refusal of the newest one. */
export type DeploySource = { ok: true; run: RunFacts & { digest: string }; note: string } | (PolicyRefusal & { nothingBuilt?: true });

const short = (sha: string): string => sha.slice(0, 10);
const describeRun = (r: RunFacts): string => `run #${r.number} of commit ${short(r.commit)} ("${r.message}")`;

/**
 * What `slipway deploy ENV` deploys without --digest: the build of the branch's newest commit
 * (`head`). When that commit's newest run failed or has not finished, it refuses rather than ship
 * an older green build without a word; the older build is offered in the hint. A head that was
 * never run falls back to the newest green build, and the note says so.
 *
 * @example
 * chooseDeploySource('staging', 'c2…', [{ number: 2, commit: 'c2…', status: 'failed', … }, { number: 1, commit: 'c1…', status: 'passed', digest: 'sha256:…', … }])
 * // { ok: false, message: 'the newest commit c2… ("fix") failed its run #2: …', hint: '… `slipway deploy staging --digest sha256:…` …' }
 */
export const chooseDeploySource = (env: string, head: string | undefined, runs: readonly RunFacts[]): DeploySource => {
  const green = runs.find((r): r is RunFacts & { digest: string } => r.status === 'passed' && r.digest !== undefined);
  const onPurpose = green ? `, or deploy the last green build on purpose: \`slipway deploy ${env} --digest ${green.digest}\` (${describeRun(green)})` : '';
  const headRun = head === undefined ? undefined : runs.find((r) => r.commit === head);
  if (headRun === undefined) {
    if (!green) return { ok: false, nothingBuilt: true, message: 'no green build to deploy yet', hint: 'run the pipeline first: `slipway run`, or name a digest with --digest' };
    const note = head === undefined ? `deploying ${describeRun(green)}, the newest green build` : `deploying ${describeRun(green)}, the newest green build: the newest commit ${short(head)} has no run yet (\`slipway run\` builds it)`;
    return { ok: true, run: green, note };
  }
  switch (headRun.status) {
    case 'passed':
      if (headRun.digest !== undefined) return { ok: true, run: { ...headRun, digest: headRun.digest }, note: `deploying ${describeRun(headRun)}, the newest commit` };
      return { ok: false, message: `${describeRun(headRun)} passed without building an artifact`, hint: `run the pipeline with a build step: \`slipway run\`${onPurpose}` };
    case 'failed':
    case 'canceled':
      return {
        ok: false,
        message: `the newest commit ${short(headRun.commit)} ("${headRun.message}") ${headRun.status === 'failed' ? 'failed' : 'had'} its run #${headRun.number}${headRun.status === 'canceled' ? ' canceled' : ''}${headRun.reason ? `: ${headRun.reason}` : ''}`,
        hint: `fix it and run the pipeline again (\`slipway run\`)${onPurpose}`,
      };
    case 'queued':
    case 'running':
      return { ok: false, message: `run #${headRun.number} of the newest commit ${short(headRun.commit)} has not finished (${headRun.status})`, hint: `wait for it (\`slipway runs\`) and deploy again${onPurpose}` };
  }
};

/** The release an environment serves, as far as a no-op deploy needs to know. */
export interface ServingFacts {
  release: number;
  digest: string;
  /** Its instances are up (a `down` environment is not serving). */
  running: boolean;
  /** Its slipway.yaml, config, settings and secret versions are those a new release would get. */
  sameConfig: boolean;
}

/**
 * A deploy of what already serves (same digest, same config, instances up) changes nothing: the
 * message that says so, or undefined when the deploy must go ahead. --force deploys anyway.
 */
export const alreadyServes = (env: string, digest: string, serving: ServingFacts | undefined, force: boolean): string | undefined => {
  if (force || serving === undefined || !serving.running || serving.digest !== digest || !serving.sameConfig) return undefined;
  return `${env} already runs ${digest} with this config as v${serving.release}: nothing to deploy (--force deploys it again as a new release)`;
};

/**
 * What `slipway run` tells about continuous deployment once a run passed: a run never deploys by
 * itself; `deploy: auto` environments react to main advancing through the merge queue.
 */
export const autoDeployNote = (run: { status: RunStatus; trigger: string }, autoEnvs: readonly string[]): string | undefined => {
  if (run.status !== 'passed' || run.trigger === 'queue') return undefined;
  if (autoEnvs.length === 0) return 'no automatic deployment: no environment has `deploy: auto`; deploy this build with `slipway deploy ENV`';
  return `no automatic deployment: ${autoEnvs.join(', ')} (\`deploy: auto\`) ${autoEnvs.length === 1 ? 'is' : 'are'} deployed when main advances through the merge queue (\`slipway merge\`), not by \`slipway run\`; deploy this build now with \`slipway deploy ${autoEnvs[0] ?? 'ENV'}\``;
};
