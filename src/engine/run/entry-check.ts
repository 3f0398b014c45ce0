// Checks of a build's checkout before it is packed, so that a commit that would fail at its first
// start fails its run instead, with the fix: the file run.command starts is in build.artifact and
// is there; and a failed `npm ci` without a lockfile says to create one.
import type { Machine } from '../../ports/machine.js';
import { join } from 'node:path';
import { entryOutsideArtifact, entryPointOf } from '../../config/entry-point.js';
import type { SlipwayConfig } from '../../config/types.js';
import { leftOutBy, type KeepKind } from '../../core/artifact/lean.js';
import { NPM_CI_WITHOUT_LOCKFILE } from '../../core/pipeline/output-tail.js';

const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json'];

/** The problem with the entry point of run.command in the built checkout `dir`, or undefined. */
export const entryProblem = (machine: Machine, config: SlipwayConfig, dir: string): string | undefined => {
  if (config.run.command === '') return undefined;
  let scripts: Record<string, string> | undefined;
  try {
    scripts = (JSON.parse(machine.readText(join(dir, 'package.json')) ?? '') as { scripts?: Record<string, string> }).scripts;
  } catch {
    scripts = undefined; // no package.json (or a broken one, which npm reports itself)
  }
  const outside = entryOutsideArtifact(config.run.command, scripts, config.build.artifact);
  if (outside) return outside;
  const entry = entryPointOf(config.run.command, scripts ?? {});
  if (!entry || entry.file === '.') return undefined;
  const leftOut = leftOutEntry(entry.file, config.build.artifact, config.build.keep);
  if (leftOut) return `${entry.via} runs ${entry.file}, which the artifact leaves out as one of its ${leftOut}: add build.keep: [${leftOut}], or move the file`;
  // Node finds `dist/server` as dist/server.js and a directory by its index.js.
  const candidates = [entry.file, ...['.js', '.mjs', '.cjs', '/index.js'].map((ext) => `${entry.file}${ext}`)];
  if (candidates.some((f) => machine.exists(join(dir, f)))) return undefined;
  return `${entry.via} runs ${entry.file}, which is not there after the build: check where the build writes, or change run.command`;
};

/** Which part of the lean rule leaves `file` out of an artifact of `artifact`, if one does. */
const leftOutEntry = (file: string, artifact: readonly string[], keep: readonly KeepKind[]): KeepKind | undefined => {
  const listed = artifact.map((a) => a.replace(/^\.\/?/, '').replace(/\/+$/, ''));
  const parts = file.replace(/^\.\//, '').split('/');
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join('/');
    // Only what a listed directory's walk finds is left out; a listed path itself is packed.
    if (!listed.some((l) => l === '' || path.startsWith(`${l}/`))) continue;
    const why = leftOutBy(path, i === parts.length ? 'file' : 'dir', keep);
    if (why) return why;
  }
  return undefined;
};

/** A failed build's reason, with the fix when npm said why: `npm ci` without a lockfile. */
export const explainBuildFailure = (machine: Machine, dir: string, reason: string, tail: readonly string[]): string => {
  if (!LOCKFILES.some((f) => machine.exists(join(dir, f))) && tail.some((l) => NPM_CI_WITHOUT_LOCKFILE.test(l))) {
    return `${reason}: \`npm ci\` needs a package-lock.json and this commit has none; run \`npm install\` to create one, commit it, and run again`;
  }
  return reason;
};
