// Tests of the canonical repository's git commands as data: merge-tree output, hook scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hookScript, mergeEnv, parseMergeTree, shellQuote, updateRefCas } from './canonical-commands.js';

const T = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

test('parseMergeTree reads a clean merge and the conflicted paths of a conflict', () => {
  assert.deepEqual(parseMergeTree(`${T}\n`), { tree: T, files: [] });
  assert.deepEqual(parseMergeTree(`${T}\na.txt\nb c.txt\na.txt\n\nAuto-merging a.txt\n`), { tree: T, files: ['a.txt', 'b c.txt'] });
  assert.equal(parseMergeTree(''), undefined);
  assert.equal(parseMergeTree('fatal: not a tree\n'), undefined);
});

test('a merge commit is authored by the change’s author and committed by the queue, at a fixed time', () => {
  const env = mergeEnv(1700000000, { name: 'Ada', email: 'ada@example.test' });
  assert.deepEqual(env, {
    GIT_AUTHOR_NAME: 'Ada',
    GIT_AUTHOR_EMAIL: 'ada@example.test',
    GIT_AUTHOR_DATE: '@1700000000 +0000',
    GIT_COMMITTER_NAME: 'Slipway merge queue',
    GIT_COMMITTER_EMAIL: 'queue@slipway.invalid',
    GIT_COMMITTER_DATE: '@1700000000 +0000',
  });
  // An author git would refuse (empty) falls back to the queue's name.
  assert.equal(mergeEnv(1, { name: '', email: '' }).GIT_AUTHOR_NAME, 'Slipway merge queue');
});

test('the compare-and-swap names the expected old value', () => {
  assert.deepEqual(updateRefCas('/r.git', 'refs/heads/main', 'b'.repeat(40), 'a'.repeat(40), 'why').slice(-3), ['refs/heads/main', 'b'.repeat(40), 'a'.repeat(40)]);
});

test('hook scripts quote every path for the shell, whatever it contains', () => {
  const weird = "/tmp/it's a $HOME `dir`";
  const script = hookScript('pre-receive', { node: '/usr/bin/node', bin: `${weird}/bin/slipway.js`, home: `${weird}/.slipway`, repo: weird });
  assert.match(script, /^#!\/bin\/sh\n/);
  // The shell gives back exactly the arguments: run the exec line with `printf` instead of node.
  const line = script.split('\n').find((l) => l.startsWith('exec '))!.replace(/^exec '\/usr\/bin\/node'/, "printf '%s\\n'");
  const r = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
  assert.deepEqual(r.stdout.split('\n').slice(0, -1), [`${weird}/bin/slipway.js`, 'hook', 'pre-receive', '--home', `${weird}/.slipway`, '--repo', weird]);
  assert.equal(shellQuote("a'b"), `'a'\\''b'`);
});
