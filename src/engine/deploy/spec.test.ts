// The config of a release's commit is cached for the life of the control plane: the cache must stay
// bounded however many commits are deployed (the soak, issue 13.5), and a commit read again is a
// hit that keeps it cached.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitVcs } from '../../adapters/vcs/git/git.js';
import type { EngineContext } from '../context.js';
import { CONFIG_CACHE_MAX, configAt, configCacheSize } from './spec.js';

void describe('configAt: the cache of commits’ configs', () => {
  let dir: string;
  const commits: string[] = [];
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.test' };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-spec-cache-'));
    git('init', '--quiet', '--initial-branch=main', dir);
    // More commits than the cache holds, each with its own slipway.yaml.
    for (let i = 0; i < CONFIG_CACHE_MAX + 10; i++) {
      writeFileSync(join(dir, 'slipway.yaml'), `app: a\nbuild:\n  run: echo ${i}\n  artifact: [dist/]\nrun:\n  command: node server.js\nenvironments:\n  staging: {}\n`);
      git('add', '-A');
      git('commit', '--quiet', '-m', `c${i}`);
      commits.push(git('rev-parse', 'HEAD').trim());
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('holds at most CONFIG_CACHE_MAX commits after more were read, and keeps the one read most recently', async () => {
    // Only what configAt uses: the repository, git, and a canonical repository that does not exist.
    const ctx = { repo: dir, vcs: createGitVcs(), canonical: { exists: () => false } } as unknown as EngineContext;
    const first = commits[0]!;
    assert.equal((await configAt(ctx, first)).build.run, 'echo 0');
    for (const [i, c] of commits.entries()) {
      assert.equal((await configAt(ctx, c)).build.run, `echo ${i}`);
      await configAt(ctx, first); // read at every deploy: it must stay
      assert.ok(configCacheSize() <= CONFIG_CACHE_MAX, `${configCacheSize()} configs cached after ${i + 1} commits`);
    }
    assert.equal(configCacheSize(), CONFIG_CACHE_MAX);
    // A hit returns the same object (not read again); the first commit was used all along, so it is still cached.
    assert.equal(await configAt(ctx, first), await configAt(ctx, first));
    // The oldest commits not read since were dropped and are read again (a new object).
    const second = commits[1]!;
    const again = await configAt(ctx, second);
    assert.equal(again.build.run, 'echo 1');
    assert.equal(configCacheSize(), CONFIG_CACHE_MAX);
  });
});
