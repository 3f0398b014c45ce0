// The git adapter's checkout: the exact tree of a commit (modes and links kept) in a new
// directory, in one git process that runs no hook and changes nothing in the repository.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitVcs } from './git.js';
import type { CommitInfo } from '../../../ports/vcs.js';

void describe('git adapter: checkout', () => {
  let dir: string;
  let repo: string;
  let bare: string;
  let commit: CommitInfo;
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.test' };
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env, encoding: 'utf8' });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-checkout-'));
    repo = join(dir, 'repo');
    git(dir, 'init', '--quiet', '--initial-branch=main', repo);
    writeFileSync(join(repo, 'slipway.yaml'), 'app: a\n');
    mkdirSync(join(repo, 'bin'));
    writeFileSync(join(repo, 'bin', 'tool'), '#!/bin/sh\necho hi\n');
    chmodSync(join(repo, 'bin', 'tool'), 0o755);
    symlinkSync('bin/tool', join(repo, 'link'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '--quiet', '-m', 'one');
    // Uncommitted: a changed file and an untracked one, which a checkout never sees.
    writeFileSync(join(repo, 'slipway.yaml'), 'app: changed\n');
    writeFileSync(join(repo, 'untracked'), 'x');
    // A hook that would mark that it ran: a checkout runs none.
    writeFileSync(join(repo, '.git', 'hooks', 'post-checkout'), `#!/bin/sh\ntouch ${join(dir, 'hook-ran')}\n`);
    chmodSync(join(repo, '.git', 'hooks', 'post-checkout'), 0o755);
    bare = join(dir, 'bare.git');
    git(dir, 'clone', '--quiet', '--bare', repo, bare);
    const c = await createGitVcs().resolve(repo, 'HEAD');
    assert.ok(c);
    commit = c;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('the committed tree, with modes and links, and no .git; disposing removes it', async () => {
    const parent = join(dir, 'work');
    const co = await createGitVcs().checkout(repo, commit, parent);
    assert.equal(readFileSync(join(co.dir, 'slipway.yaml'), 'utf8'), 'app: a\n');
    assert.equal(statSync(join(co.dir, 'bin', 'tool')).mode & 0o111, 0o111);
    assert.ok(lstatSync(join(co.dir, 'link')).isSymbolicLink());
    assert.equal(readlinkSync(join(co.dir, 'link')), 'bin/tool');
    assert.deepEqual(readdirSync(co.dir).sort(), ['bin', 'link', 'slipway.yaml']);
    // Nothing beside the tree either (the index lived there only while git wrote the tree).
    assert.deepEqual(readdirSync(parent), [co.dir.slice(parent.length + 1)]);
    await co.dispose();
    await co.dispose();
    assert.deepEqual(readdirSync(parent), []);
  });

  void test('the repository is left as it was: no hook runs, no work tree is registered, its index and files are untouched', async () => {
    const status = git(repo, 'status', '--porcelain');
    const co = await createGitVcs().checkout(repo, commit, join(dir, 'work2'));
    assert.equal(existsSync(join(dir, 'hook-ran')), false);
    assert.equal(git(repo, 'worktree', 'list').trim().split('\n').length, 1);
    assert.equal(git(repo, 'status', '--porcelain'), status);
    assert.equal(readFileSync(join(repo, 'slipway.yaml'), 'utf8'), 'app: changed\n');
    await co.dispose();
  });

  void test('a bare repository checks out the same tree', async () => {
    const co = await createGitVcs().checkout(bare, commit, join(dir, 'work3'));
    assert.deepEqual(readdirSync(co.dir).sort(), ['bin', 'link', 'slipway.yaml']);
    await co.dispose();
  });

  void test('a commit the repository does not have fails and leaves nothing behind', async () => {
    const parent = join(dir, 'work4');
    await assert.rejects(createGitVcs().checkout(repo, { ...commit, sha: '0'.repeat(40) }, parent), /read-tree/);
    assert.deepEqual(readdirSync(parent), []);
  });
});
