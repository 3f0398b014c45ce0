// The pipeline of one exact commit: its slipway.yaml, read from the commit (never the work tree),
// validated, and the digests that identify its build definition.
import { createHash } from 'node:crypto';
import { loadConfig, formatConfigIssue, sizeIssue } from '../../config/load.js';
import { MAX_CONFIG_BYTES } from '../../config/hostile.js';
import type { SlipwayConfig } from '../../config/types.js';
import { canonicalJson } from '../../core/canonical-json.js';
import { SlipwayError } from '../../core/errors.js';
import { checkRef } from '../../core/refs.js';
import type { CommitInfo } from '../../ports/vcs.js';
import type { EngineContext } from '../context.js';

export interface LoadedPipeline {
  commit: CommitInfo;
  config: SlipwayConfig;
  text: string;
  configDigest: string;
  buildKey: string;
}

/** Resolves a ref and loads the slipway.yaml of that exact commit. Throws on any problem, changing nothing. */
export const loadPipelineAt = async (ctx: Pick<EngineContext, 'vcs' | 'repo'>, ref: string): Promise<LoadedPipeline> => {
  // The commit and its file in one read; a huge file is refused with its size, never read into memory.
  const found = await ctx.vcs.readFileAtRef(ctx.repo, checkRef(ref), 'slipway.yaml', MAX_CONFIG_BYTES);
  if (!found) {
    throw new SlipwayError('not_found', `ref "${ref}" does not name a commit in ${ctx.repo}`, 'check the name with `git log --oneline` or `git branch -a`');
  }
  const { commit, file } = found;
  if (file !== undefined && file.text === undefined) {
    const issue = sizeIssue(file.size);
    throw new SlipwayError('config', `slipway.yaml at ${commit.sha.slice(0, 12)} is not valid: ${issue.message}`, issue.hint);
  }
  const text = file?.text;
  if (text === undefined) {
    throw new SlipwayError(
      'config',
      `commit ${commit.sha.slice(0, 12)} has no slipway.yaml at the repository root`,
      'run `slipway init`, review the file, commit it, then run again',
    );
  }
  const config = validConfig(text, commit.sha);
  return {
    commit,
    config,
    text,
    configDigest: sha256(text),
    buildKey: sha256(canonicalJson(config.build)),
  };
};

/** The last few valid files, by their text: parsing and validating one costs some 15 ms per run. */
const parsed = new Map<string, SlipwayConfig>();

/** The config of a file's text (a copy: callers own it), or the file's problems as an error. */
const validConfig = (text: string, sha: string): SlipwayConfig => {
  const known = parsed.get(text);
  if (known) return structuredClone(known);
  const loaded = loadConfig('slipway.yaml', text);
  if (!loaded.config || loaded.errors.length > 0) {
    const details = loaded.errors.map(formatConfigIssue).join('\n');
    throw new SlipwayError('config', `slipway.yaml at ${sha.slice(0, 12)} is not valid:\n${details}`, 'fix the file, commit it, then run again');
  }
  if (parsed.size >= 8) parsed.delete(parsed.keys().next().value as string);
  parsed.set(text, structuredClone(loaded.config));
  return loaded.config;
};

const sha256 = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
