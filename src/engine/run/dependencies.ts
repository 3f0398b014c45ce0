// The build command's dependency install, through the dependency cache: a build command that starts
// with `npm ci` gets the node_modules an earlier install of the same key produced (native modules
// already compiled) instead of running it; otherwise it runs, and a successful install of a commit
// on main is stored for the next. What the key covers and why only main stores: docs/security.md.
import { join } from 'node:path';
import { cacheRefusal, dependencyKey, splitInstall } from '../../core/pipeline/dependency-cache.js';
import type { PlannedStep } from '../../core/pipeline/plan.js';
import type { BuildStepDeps, StepResult } from './build-step.js';

/** The branch whose commits may fill the cache: reviewed code, the one that ships. */
export const TRUSTED_BRANCH = 'main';

/**
 * Runs `command`, the build's own, in `dir`: its leading `npm ci` taken from the dependency cache
 * when the key matches and the entry verifies, else run (and stored when the commit is on main).
 */
export const runBuildCommand = async (step: PlannedStep, dir: string, command: string, deps: BuildStepDeps): Promise<StepResult> => {
  const { ctx, run, pipeline } = deps;
  const split = splitInstall(command);
  if (split === null) return deps.command(step, dir, command);
  const read = (path: string): Promise<string | undefined> => ctx.vcs.readFile(ctx.repo, run.commit, path);
  const [manifest, lockfile, npmrc] = await Promise.all([read('package.json'), read('package-lock.json'), read('.npmrc')]);
  const refusal = cacheRefusal(manifest, lockfile);
  if (refusal !== null || manifest === undefined || lockfile === undefined) {
    deps.log(`dependency cache not used: ${refusal ?? 'no package.json'}; \`${split.install}\` runs`);
    return deps.command(step, dir, command);
  }
  const key = dependencyKey({
    install: split.install,
    manifest,
    lockfile,
    npmrc,
    env: pipeline.config.build.env,
    secretNames: pipeline.config.build.secrets,
    toolchain: await ctx.dependencies.toolchain(),
  });
  const short = key.slice(0, 12);
  const target = join(dir, 'node_modules');
  // The cache only saves time: a cache that cannot be read or written never fails the build.
  const restored = await ctx.dependencies.restore(key, target).catch((e: unknown) => {
    deps.log(`dependency cache could not be read (${e instanceof Error ? e.message : String(e)}); running \`${split.install}\``);
    return { ok: false, reason: 'unreadable' } as const;
  });
  if (restored.ok) {
    await ctx.sandbox.own(target);
    deps.log(`restored node_modules from the dependency cache (key ${short}, ${restored.files} files, stored by ${restored.storedBy}): not running \`${split.install}\``);
  } else {
    if (restored.reason === 'tampered') deps.log(`dependency cache entry ${short} was changed after it was stored (${restored.message}): removed, not used`);
    else if (restored.reason === 'missing') deps.log(`dependency cache: no entry for key ${short}; running \`${split.install}\``);
    const r = await deps.command(step, dir, split.install);
    if (!r.ok) return r;
    if (await ctx.vcs.onBranch(ctx.repo, run.commit, TRUSTED_BRANCH)) {
      const s = await ctx.dependencies.store(key, target, `run ${run.id} (commit ${run.commit.slice(0, 12)})`).catch((e: unknown) => {
        deps.log(`dependency cache: node_modules could not be stored (${e instanceof Error ? e.message : String(e)})`);
        return { stored: false, files: 0, bytes: 0, evicted: 0 };
      });
      if (s.stored) deps.log(`stored node_modules in the dependency cache (key ${short}, ${s.files} files, ${s.bytes} bytes${s.evicted > 0 ? `; dropped ${s.evicted} older` : ''})`);
    } else {
      deps.log(`node_modules not stored in the dependency cache: commit ${run.commit.slice(0, 12)} is not on ${TRUSTED_BRANCH} (only main's installs are shared)`);
    }
  }
  return split.rest === undefined ? { ok: true } : deps.command(step, dir, split.rest);
};
