// The git adapter reads a file of a commit in one process, with its size, and never reads one
// larger than asked into memory.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitVcs } from './git.js';

void describe('git adapter: readFileUpTo', () => {
  let dir: string;
  let sha: string;
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.test' };
  const big = 'x'.repeat(300_000);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-readfile-'));
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', dir]);
    writeFileSync(join(dir, 'slipway.yaml'), 'app: a\n');
    writeFileSync(join(dir, 'big.yaml'), big);
    writeFileSync(join(dir, 'empty'), '');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'f'), 'f');
    execFileSync('git', ['add', '-A'], { cwd: dir });
    execFileSync('git', ['commit', '--quiet', '-m', 'one'], { cwd: dir, env });
    sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('a small file comes with its text and size; an empty one too', async () => {
    const vcs = createGitVcs();
    assert.deepEqual(await vcs.readFileUpTo(dir, sha, 'slipway.yaml', 1000), { size: 7, text: 'app: a\n' });
    assert.deepEqual(await vcs.readFileUpTo(dir, sha, 'empty', 1000), { size: 0, text: '' });
    assert.deepEqual(await vcs.readFileUpTo(dir, sha, 'big.yaml', 300_000), { size: 300_000, text: big });
  });

  void test('a larger file gives its size only; a missing file or a directory gives nothing', async () => {
    const vcs = createGitVcs();
    assert.deepEqual(await vcs.readFileUpTo(dir, sha, 'big.yaml', 1000), { size: 300_000 });
    assert.equal(await vcs.readFileUpTo(dir, sha, 'nope.yaml', 1000), undefined);
    assert.equal(await vcs.readFileUpTo(dir, sha, 'sub', 1000), undefined);
    assert.equal(await vcs.readFileUpTo(dir, '0'.repeat(40), 'slipway.yaml', 1000), undefined);
  });
});
