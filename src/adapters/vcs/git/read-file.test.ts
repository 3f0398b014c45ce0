// The git adapter resolves a ref and reads a file of that commit in one process, with its size,
// never reads one larger than asked into memory, and describes the commit as `git show` does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

// A `cat-file --batch` is started ahead for the next run of a repository (batch.ts): what it
// answers must be what a new git process would answer, whatever changed in between.
void describe('git adapter: readFileAtRef with the process started ahead', () => {
  let dir: string;
  let repo: string;
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.test' };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  const commit = (text: string): string => {
    writeFileSync(join(repo, 'slipway.yaml'), text);
    git('add', '-A');
    git('commit', '--quiet', '-m', text);
    return git('rev-parse', 'HEAD').trim();
  };
  /** Long enough for the next process to have started (it starts half a second after a use). */
  const pause = () => new Promise((r) => setTimeout(r, 800));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-readfile-ahead-'));
    repo = join(dir, 'repo');
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('new commits, branches, repacks and a repository replaced at the same path are all seen', async () => {
    const vcs = createGitVcs();
    const read = async (ref: string) => {
      const r = await vcs.readFileAtRef(repo, ref, 'slipway.yaml', 1000);
      return r === undefined ? undefined : { sha: r.commit.sha, text: r.file?.text };
    };
    const one = commit('app: one\n');
    assert.deepEqual(await read('HEAD'), { sha: one, text: 'app: one\n' });
    await pause();
    const two = commit('app: two\n');
    assert.deepEqual(await read('HEAD'), { sha: two, text: 'app: two\n' });
    await pause();
    git('checkout', '--quiet', '-b', 'other');
    const three = commit('app: three\n');
    git('repack', '-q', '-a', '-d');
    git('pack-refs', '--all');
    assert.deepEqual(await read('other'), { sha: three, text: 'app: three\n' });
    await pause();
    assert.equal(await read('nope'), undefined);
    await pause();
    // A restore puts another repository where this one was.
    renameSync(repo, join(dir, 'old'));
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo]);
    const fresh = commit('app: fresh\n');
    assert.deepEqual(await read('HEAD'), { sha: fresh, text: 'app: fresh\n' });
    assert.equal(await read('other'), undefined);
  });
});
