// Given a scratch copy of the example app, when the merge-queue chapter of the demo runs, then a
// good branch merges (and staging receives its artifact), a branch with a credential and one with
// a vulnerable dependency are refused with reports that name the gate, and main is unchanged.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { queueDemo } from '../../src/cli/commands/demo-queue.js';
import { demoRunner } from '../../src/cli/commands/demo-runner.js';
import { BIN, git as gitIn, TempRepo } from './harness.js';

const repo = TempRepo.fromExample();
after(() => repo.dispose());

test('the merge-queue chapter of the demo', async () => {
  let printed = '';
  const env = { ...process.env, CI: 'true', GIT_AUTHOR_NAME: 'Demo', GIT_AUTHOR_EMAIL: 'demo@example.test', GIT_COMMITTER_NAME: 'Demo', GIT_COMMITTER_EMAIL: 'demo@example.test' };
  const out = (s: string): void => void (printed += s);
  const next = await queueDemo(
    {
      dir: repo.dir,
      git: (...args) => {
        const r = spawnSync('git', args, { cwd: repo.dir, env, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
        return r.stdout.trim();
      },
      ...demoRunner({ bin: BIN, cwd: repo.dir, env, out, err: out }),
      title: (s) => out(`\n━━ ${s}\n`),
      out,
    },
    12,
  );
  assert.equal(next, 17);
  assert.match(printed, /━━ 12\. The canonical repository/);
  assert.match(printed, /main is protected by Slipway/);
  assert.match(printed, /q1 merged: security-gates/);
  assert.match(printed, /staging \(deploy: auto\) received the artifact/);
  assert.match(printed, /q2 refused: add-storage/);
  assert.match(printed, /gate "secrets" \(secret scan\) failed/);
  assert.match(printed, /src\/storage\.js:2:\d+ aws-access-key-id/);
  assert.match(printed, /q3 refused: add-lodash/);
  assert.match(printed, /gate "deps" \(dependency audit\) failed/);
  assert.match(printed, /lodash@4\.17\.11/);
  assert.match(printed, /main is still [0-9a-f]{12}\./);
  // The refused branch was queued early, but its output is shown in its own chapter.
  assert.ok(printed.indexOf('q2 refused: add-storage') > printed.indexOf('━━ 14. A branch with a hard-coded credential'), 'q2 is shown under its chapter');
  assert.ok(printed.indexOf('$ slipway merge add-storage --wait') > printed.indexOf('staging (deploy: auto) received the artifact'));
  // The working repository was brought up to date with the merged main.
  assert.equal(gitIn(repo.dir, 'rev-parse', 'main'), gitIn(`${repo.dir}/.slipway/repo.git`, 'rev-parse', 'main'));
});
