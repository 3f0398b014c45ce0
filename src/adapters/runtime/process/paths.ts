// Where the process runtime keeps things under Slipway's home, and the names it gives them.

import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { isDigest } from '../../../core/artifact/digest.js';
import { checkEnvName } from '../../../core/env-name.js';
import { SlipwayError } from '../../../core/errors.js';
import type { ReleaseRef } from '../../../ports/runtime.js';

/** Throws `SlipwayError('usage')` for an environment name that breaks the rule (core/env-name.ts): it names a directory. */
export function expectEnvName(env: string): void {
  const r = checkEnvName(env);
  if (!r.ok) throw new SlipwayError('usage', r.message, r.hint);
}

/** Throws `SlipwayError('usage')` unless the ref names an environment, a release ≥ 1 and a full digest. */
export function checkRef(ref: ReleaseRef): void {
  expectEnvName(ref.env);
  if (!Number.isInteger(ref.release) || ref.release < 1) {
    throw new SlipwayError('usage', `release number must be a positive integer, got ${String(ref.release)}`);
  }
  if (!isDigest(ref.digest)) throw new SlipwayError('usage', `"${ref.digest}" is not a full artifact digest (sha256:<64 hex>)`);
}

export const releaseName = (ref: ReleaseRef): string => `v${ref.release}-${ref.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;

export interface RuntimePaths {
  releases(env: string): string;
  releaseDir(ref: ReleaseRef): string;
  /** Where every environment's shim state directory lies. */
  runRoot: string;
  runDir(env: string): string;
  stateFile(env: string, id: string): string;
  logDir(env: string): string;
  logFile(env: string, id: string): string;
  /** Writable, kept across releases: the app's SLIPWAY_DATA_DIR. */
  dataDir(env: string): string;
  /** The instance's TMPDIR, removed when it stops. */
  tmpDir(env: string, id: string): string;
}

/**
 * Shim state and logs stay in the home (Slipway's own); what the app sees (its release, data and
 * temporary directories) lives in the sandbox area `area`, outside the home.
 */
export function runtimePaths(home: string, area: string): RuntimePaths {
  const h = resolve(home);
  const a = resolve(area);
  return {
    releases: (env) => join(a, 'releases', env),
    releaseDir: (ref) => join(a, 'releases', ref.env, releaseName(ref)),
    runRoot: join(h, 'run'),
    runDir: (env) => join(h, 'run', env),
    stateFile: (env, id) => join(h, 'run', env, `${id}.json`),
    logDir: (env) => join(h, 'logs', env),
    logFile: (env, id) => join(h, 'logs', env, `${id}.log`),
    dataDir: (env) => join(a, 'data', env),
    tmpDir: (env, id) => join(a, 'tmp', env, id),
  };
}

/** A new instance id, unique across starts: `<env>-v<release>-<index>-<random>`. */
export const newInstanceId = (env: string, release: number, index: number): string =>
  `${env}-v${release}-${index}-${randomBytes(3).toString('hex')}`;

/** Instance ids come back from the store on adopt: accept only what `newInstanceId` makes. */
export const isInstanceId = (id: string): boolean => {
  const m = /^(.+)-v\d+-\d+-[0-9a-f]{6}$/.exec(id);
  return m !== null && checkEnvName(m[1] ?? '').ok;
};
