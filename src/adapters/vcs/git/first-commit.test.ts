// Given commits authored at known times, the git adapter tells when the change between two
// commits was begun (its oldest commit), and nothing for unknown commits or non-sha input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitVcs } from './git.js';

describe('firstCommitTime', () => {
  let repo: string;
  const shas: string[] = [];
  const vcs = createGitVcs();
  /** A commit authored at `when` (seconds since the epoch), committed later. */
  const commitAt = (when: number, message: string): string => {
    const date = `@${when} +0000`;
    const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.test', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: `@${when + 3600} +0000` };
    execFileSync('git', ['commit', '--quiet', '--allow-empty', '-m', message], { cwd: repo, env });
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  };
  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'slipway-first-commit-'));
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo]);
    for (const [i, t] of [1_000_000, 2_000_000, 1_500_000, 3_000_000].entries()) shas.push(commitAt(t, `c${i}`));
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  test('the oldest author time among the commits after `since`, in milliseconds', async () => {
    assert.equal(await vcs.firstCommitTime(repo, shas[3]!, shas[0]!), 1_500_000_000);
    assert.equal(await vcs.firstCommitTime(repo, shas[3]!, shas[2]!), 3_000_000_000);
  });

  test('no commit between the two, an unknown commit, or something other than a full sha: undefined', async () => {
    assert.equal(await vcs.firstCommitTime(repo, shas[1]!, shas[1]!), undefined);
    assert.equal(await vcs.firstCommitTime(repo, 'f'.repeat(40), shas[0]!), undefined);
    for (const bad of ['HEAD', 'main', shas[3]!.slice(0, 12), `--output=${join(repo, 'x')}`, `${shas[3]!}^`]) {
      assert.equal(await vcs.firstCommitTime(repo, bad, shas[0]!), undefined, bad);
      assert.equal(await vcs.firstCommitTime(repo, shas[3]!, bad), undefined, bad);
    }
  });
});
