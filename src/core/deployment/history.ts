// Pure decisions over an environment's history: release numbers, the current release, what a
// rollback goes back to, and whether a digest may be promoted.
import type { Deployment, Release } from './types.js';

export const nextReleaseNumber = (releases: readonly Pick<Release, 'number'>[]): number =>
  releases.reduce((max, r) => Math.max(max, r.number), 0) + 1;

/**
 * The current release: the release of the last deployment that succeeded and was not rolled back
 * afterwards. Deployments are given in any order.
 */
export const currentRelease = (deployments: readonly Deployment[]): number | undefined => {
  const sorted = [...deployments].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id.localeCompare(b.id, 'en', { numeric: true })));
  for (let i = sorted.length - 1; i >= 0; i--) {
    const d = sorted[i];
    if (d?.phase === 'succeeded') return d.release;
  }
  return undefined;
};

/**
 * Releases whose deployment succeeded and still stands (not rolled back since), newest first,
 * without repeats: the releases a rollback may go back to.
 */
export const successfulReleases = (deployments: readonly Deployment[]): number[] => {
  const seen = new Set<number>();
  for (const d of [...deployments].sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))) {
    if (d.phase === 'succeeded') seen.add(d.release);
  }
  return [...seen];
};

export type RollbackChoice = { ok: true; release: number } | { ok: false; message: string; hint: string };

/**
 * Where a rollback goes: the named release if it went live successfully before, else the newest
 * successful release other than the current one. Releases whose digest is marked bad are skipped
 * unless named explicitly.
 */
export const chooseRollbackTarget = (
  deployments: readonly Deployment[],
  releases: readonly Release[],
  opts: { to?: number; badDigests?: ReadonlySet<string> },
): RollbackChoice => {
  const current = currentRelease(deployments);
  const good = successfulReleases(deployments).filter((n) => n !== current);
  if (opts.to !== undefined) {
    if (!releases.some((r) => r.number === opts.to)) return { ok: false, message: `there is no release v${opts.to}`, hint: 'see the releases with `slipway history ENV`' };
    if (opts.to === current) return { ok: false, message: `v${opts.to} is already the current release`, hint: 'name another release with --to' };
    if (!good.includes(opts.to)) return { ok: false, message: `v${opts.to} never went live successfully, so it cannot be rolled back to`, hint: 'pick a release that succeeded: `slipway history ENV`' };
    return { ok: true, release: opts.to };
  }
  const bad = opts.badDigests ?? new Set<string>();
  const digestOf = new Map(releases.map((r) => [r.number, r.digest]));
  const target = good.find((n) => !bad.has(digestOf.get(n) ?? ''));
  if (target === undefined) return { ok: false, message: 'there is no earlier successful release to roll back to', hint: 'deploy a known-good digest with `slipway deploy ENV --digest D`' };
  return { ok: true, release: target };
};

export type PromotionCheck = { ok: true; digest: string; commit: string; fromRelease: number; /** The image the source release runs (containers). */ image?: string } | { ok: false; message: string; hint: string };

/** The digest that `slipway promote FROM TO` moves: the one currently live and verified in FROM. */
export const promotionSource = (from: string, fromDeployments: readonly Deployment[], fromReleases: readonly Release[]): PromotionCheck => {
  const current = currentRelease(fromDeployments);
  const release = fromReleases.find((r) => r.number === current);
  if (current === undefined || !release) {
    return { ok: false, message: `nothing has succeeded in ${from} yet, so there is nothing to promote`, hint: `deploy to ${from} first: \`slipway deploy ${from}\`` };
  }
  return { ok: true, digest: release.digest, commit: release.commit, fromRelease: release.number, ...(release.image === undefined ? {} : { image: release.image }) };
};

/** Whether `digest` was deployed and verified in the environment, and not rolled back since. */
export const succeededIn = (digest: string, deployments: readonly Deployment[]): boolean =>
  deployments.some((d) => d.digest === digest && d.phase === 'succeeded');
