// The git adapter resolves a ref and reads a file of that commit in one process, with its size,
// never reads one larger than asked into memory, and describes the commit as `git show` does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitVcs } from './git.js';
import { parseCommit, subjectOf } from './batch.js';

void describe('git adapter: readFileAtRef', () => {
  let dir: string;
  let sha: string;
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Ann  Author', GIT_AUTHOR_EMAIL: 't@t.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.test', GIT_COMMITTER_DATE: '1700000000 +0100' };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' });
  const big = 'x'.repeat(300_000);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-readfile-'));
    git('init', '--quiet', '--initial-branch=main', dir);
    writeFileSync(join(dir, 'slipway.yaml'), 'app: a\n');
    writeFileSync(join(dir, 'big.yaml'), big);
    writeFileSync(join(dir, 'empty'), '');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'f'), 'f');
    git('add', '-A');
    git('commit', '--quiet', '-m', 'one');
    git('tag', 'v1');
    sha = git('rev-parse', 'HEAD').trim();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const show = (ref: string): { sha: string; time: number; author: string; subject: string } => {
    const [s, time, author, subject] = git('show', '-s', '--format=%H%x00%ct%x00%an%x00%s', `${ref}^{commit}`, '--').trimEnd().split('\0');
    return { sha: s ?? '', time: Number(time), author: author ?? '', subject: subject ?? '' };
  };

  void test('a small file comes with its text and size, and the commit as git show describes it', async () => {
    const vcs = createGitVcs();
    assert.deepEqual(await vcs.readFileAtRef(dir, 'HEAD', 'slipway.yaml', 1000), { commit: show('HEAD'), file: { size: 7, text: 'app: a\n' } });
    assert.deepEqual((await vcs.readFileAtRef(dir, 'v1', 'empty', 1000))?.file, { size: 0, text: '' });
    assert.deepEqual((await vcs.readFileAtRef(dir, sha, 'big.yaml', 300_000))?.file, { size: 300_000, text: big });
    assert.deepEqual((await vcs.readFileAtRef(dir, 'main', 'slipway.yaml', 1000))?.commit, await vcs.resolve(dir, 'main'));
  });

  void test('a larger file gives its size only; a missing file or a directory gives the commit alone; an unknown ref nothing', async () => {
    const vcs = createGitVcs();
    assert.deepEqual((await vcs.readFileAtRef(dir, 'HEAD', 'big.yaml', 1000))?.file, { size: 300_000 });
    assert.deepEqual(await vcs.readFileAtRef(dir, 'HEAD', 'nope.yaml', 1000), { commit: show('HEAD') });
    assert.deepEqual(await vcs.readFileAtRef(dir, 'HEAD', 'sub', 1000), { commit: show('HEAD') });
    assert.equal(await vcs.readFileAtRef(dir, '0'.repeat(40), 'slipway.yaml', 1000), undefined);
    assert.equal(await vcs.readFileAtRef(dir, 'no-such-branch', 'slipway.yaml', 1000), undefined);
    assert.equal(await vcs.readFileAtRef(dir, 'HEAD\nHEAD', 'slipway.yaml', 1000), undefined);
    // A tree or a blob is not a commit.
    assert.equal(await vcs.readFileAtRef(dir, 'HEAD:sub', 'f', 1000), undefined);
  });

  void test('subjects, authors and times read from the commit object match git show, and a message in another encoding is described by git show', async () => {
    const vcs = createGitVcs();
    const messages = ['  \n\nfirst line  \nsecond line\n\nbody\n', 'tabs\there\t\n', 'one\r\n\r\nbody', 'ünïcödé ✓'];
    for (const m of messages) {
      git('commit', '--quiet', '--allow-empty', '--cleanup=verbatim', '-m', m);
      assert.deepEqual((await vcs.readFileAtRef(dir, 'HEAD', 'slipway.yaml', 1000))?.commit, show('HEAD'), JSON.stringify(m));
    }
    execFileSync('git', ['-c', 'i18n.commitEncoding=ISO-8859-1', 'commit', '--quiet', '--allow-empty', '-F', '-'], { cwd: dir, env, input: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) });
    const latin = await vcs.readFileAtRef(dir, 'HEAD', 'slipway.yaml', 1000);
    assert.deepEqual(latin?.commit, show('HEAD'));
    assert.equal(latin?.commit.subject, 'café');
  });

  void test('parseCommit refuses what it cannot describe like git show', () => {
    const body = (extra: string): Buffer => Buffer.from(`tree ${'a'.repeat(40)}\nauthor A <a@a> 1 +0000\ncommitter C <c@c> 2 +0000\n${extra}\nsubject\n`);
    assert.deepEqual(parseCommit('s', body('')), { sha: 's', time: 2, author: 'A', subject: 'subject' });
    assert.equal(parseCommit('s', body('encoding ISO-8859-1\n')), undefined);
    assert.deepEqual(parseCommit('s', body('encoding UTF-8\n'))?.subject, 'subject');
    assert.equal(parseCommit('s', Buffer.from('tree x\n\nno author\n')), undefined);
    assert.equal(subjectOf(''), '');
    assert.equal(subjectOf('\n\n a \nb\n\nc'), ' a b');
  });
});
