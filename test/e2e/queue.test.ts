// Given an app with a command gate, the secret scan and the dependency audit, when branches go
// through `slipway merge`, then main moves only to a merged tree on which every gate passed, and
// everything else is sent back with a report that names the gate, the reason and the log.
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { git, type TempRepo } from './harness.js';
import { branch, canonical, canonicalMain, fakeAwsKey, lockfile, queuedApp, showItem, waitFinal } from './queue-helpers.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';

const repos: TempRepo[] = [];
const track = (r: TempRepo): TempRepo => (repos.push(r), r);
after(async () => {
  for (const r of repos) await r.dispose();
});

describe('slipway merge', () => {
  const repo = track(queuedApp());
  const start = git(repo.dir, 'rev-parse', 'main');

  test('a good branch merges: main moves to the tested merge commit, whose run’s artifact is recorded', async () => {
    const sha = branch(repo, 'feature', { 'src/feature.txt': 'a feature\n' });
    const r = await repo.cli(['merge', 'feature', '--wait']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /q1 merged: feature/);
    assert.match(r.stdout, /update your working copy: git pull \S+\/\.slipway\/repo\.git main/);
    const main = canonicalMain(repo);
    const v = await showItem(repo, 'q1');
    assert.equal(v.item.state, 'merged');
    assert.equal(v.item.mergedAs, main);
    // The merge commit joins the old main and the branch: the change's author, the queue as committer, a fixed time.
    assert.equal(git(canonical(repo), 'rev-list', '--parents', '-n', '1', main ?? ''), `${main} ${start} ${sha}`);
    assert.equal(git(canonical(repo), 'log', '-1', '--format=%an <%ae> %at | %cn <%ce> %ct', main ?? ''), 'Test Author <author@example.test> 1767323045 | Slipway merge queue <queue@slipway.invalid> 1767323045');
    // The run that gated exactly that commit built the artifact the item records.
    const run = v.runs.at(-1);
    assert.equal(run?.commit, main);
    assert.equal(run?.status, 'passed');
    assert.match(run?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(v.item.digest, run?.digest);
    // The working repository's main is the user's; the new main is there as slipway/main.
    assert.equal(git(repo.dir, 'rev-parse', 'main'), start);
    assert.equal(git(repo.dir, 'rev-parse', 'refs/remotes/slipway/main'), main);
    const list = JSON.parse((await repo.cli(['queue', '--json'])).stdout) as { main: string; items: { id: string; state: string }[] };
    assert.equal(list.main, main);
    assert.deepEqual(list.items.map((i) => [i.id, i.state]), [['q1', 'merged']]);
  });

  test('a branch with a hard-coded credential is refused by the secret scan; main is unchanged', async () => {
    const before = canonicalMain(repo);
    branch(repo, 'leak', { 'src/config.js': `export const key = "${fakeAwsKey()}";\n` });
    const r = await repo.cli(['merge', 'leak', '--wait']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /q2 refused/);
    assert.match(r.stdout, /gate "secrets" \(secret scan\) failed in run r\d+/);
    assert.match(r.stdout, /log: +slipway logs r\d+ --step secrets/);
    assert.match(r.stdout, /src\/config\.js:1:\d+ aws-access-key-id/);
    assert.ok(!r.stdout.includes(fakeAwsKey()), 'the key is masked in the report');
    assert.equal(canonicalMain(repo), before);
    const v = await showItem(repo, 'q2');
    assert.equal(v.item.state, 'refused');
    assert.equal(v.item.report?.step, 'secrets');
    // Its run failed (the queue stopped its other steps at the first failure: still a failure, not a cancel).
    assert.deepEqual(v.runs.map((run) => run.status), ['failed']);
    assert.equal(v.item.report?.gateKind, 'secret scan');
    assert.match(v.item.report?.reason ?? '', /credential/);
    const logs = await repo.cli((v.item.report?.logs ?? '').split(' ').slice(1));
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /aws-access-key-id/);
  });

  test('a branch adding a vulnerable dependency is refused by the audit; main is unchanged', async () => {
    const before = canonicalMain(repo);
    branch(repo, 'lodash', { 'package-lock.json': lockfile({ lodash: '4.17.11' }) });
    const r = await repo.cli(['merge', 'lodash', '--wait']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /gate "deps" \(dependency audit\) failed/);
    assert.match(r.stdout, /lodash@4\.17\.11/);
    assert.match(r.stdout, /GHSA-jf85-cpcp-j695/);
    assert.equal(canonicalMain(repo), before);
    assert.equal((await showItem(repo, 'q3')).item.report?.gateKind, 'dependency audit');
  });

  test('a step marked flaky is retried, and the retry shows in the queue', async () => {
    branch(repo, 'flaky', { flaky: 'fails its first attempt\n' });
    const r = await repo.cli(['merge', 'flaky', '--wait']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /retried: check passed on attempt 2 in run r\d+ \(earlier: exited with code 1\)/);
    const v = await showItem(repo, 'q4');
    assert.deepEqual(v.item.retries.map((x) => [x.step, x.attempts, x.previous]), [['check', 2, ['exited with code 1']]]);
    assert.equal(canonicalMain(repo), v.item.mergedAs);
    const list = await repo.cli(['queue']);
    assert.match(list.stdout, /q4 +merged .*\[1 retried step\(s\)\]/);
  });

  test('a branch that does not merge cleanly is a conflict (exit 3), not a gate failure', async () => {
    branch(repo, 'first', { 'src/app.txt': 'line one\nline two, as first says\nline three\n' });
    assert.equal((await repo.cli(['merge', 'first', '--wait'])).code, 0);
    const before = canonicalMain(repo);
    const runsBefore = JSON.parse((await repo.cli(['runs', '--json', '-n', '100'])).stdout) as unknown[];
    branch(repo, 'second', { 'src/app.txt': 'line one\nline two, as second says\nline three\n' });
    const r = await repo.cli(['merge', 'second', '--wait']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /q6 conflict/);
    assert.match(r.stdout, /second does not merge cleanly with main \([0-9a-f]{12}\): conflicts in src\/app\.txt/);
    const v = await showItem(repo, 'q6');
    assert.equal(v.item.report?.kind, 'conflict');
    assert.deepEqual(v.item.report?.files, ['src/app.txt']);
    assert.deepEqual(v.item.runIds, [], 'no pipeline ran');
    assert.equal(canonicalMain(repo), before);
    assert.equal((JSON.parse((await repo.cli(['runs', '--json', '-n', '100'])).stdout) as unknown[]).length, runsBefore.length);
  });
});

describe('bad input changes nothing', () => {
  const repo = track(queuedApp());

  test('a branch that does not exist', async () => {
    const r = await repo.cli(['merge', 'no-such-branch']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no branch "no-such-branch" in /);
    assert.match(r.stderr, /git branch/);
    const list = JSON.parse((await repo.cli(['queue', '--json'])).stdout) as { items: unknown[] };
    assert.deepEqual(list.items, []);
  });

  test('an option where the branch goes, no branch, a branch already in main', async () => {
    assert.equal((await repo.cli(['merge', '--bogus'])).code, 2);
    const none = await repo.cli(['merge']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /which branch/);
    const same = await repo.cli(['merge', 'main']);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /nothing to merge: main \([0-9a-f]{12}\) is already part of main/);
    const list = JSON.parse((await repo.cli(['queue', '--json'])).stdout) as { items: unknown[] };
    assert.deepEqual(list.items, []);
  });

  test('an unknown queue item', async () => {
    for (const id of ['q99', '99', 'bogus', 'r1']) {
      const r = await repo.cli(['queue', id]);
      assert.equal(r.code, 2, id);
      assert.match(r.stderr, /no queue item "(q99|bogus|r1)"/, id);
      assert.match(r.stderr, /slipway queue/);
    }
  });

  test('a direct push to main is refused by the hook with the way to merge', async () => {
    await repo.cli(['remote', 'init']);
    const main = canonicalMain(repo);
    branch(repo, 'direct', { 'src/direct.txt': 'x\n' });
    const r = spawnGit(repo.dir, ['push', canonical(repo), 'direct:main']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /main is protected by Slipway/);
    assert.match(r.stderr, /git push <this remote> HEAD:refs\/for\/main/);
    assert.match(r.stderr, /slipway merge BRANCH/);
    assert.match(r.stderr, /pre-receive hook declined/);
    assert.equal(canonicalMain(repo), main);
    const hidden = spawnGit(repo.dir, ['push', canonical(repo), 'direct:refs/slipway/queue/q1']);
    assert.notEqual(hidden.status, 0);
    assert.equal(spawnGit(canonical(repo), ['rev-parse', '--verify', '--quiet', 'refs/slipway/queue/q1']).status, 1);
  });

  test('a push to refs/for/main over the local path is queued and merged', async () => {
    const sha = git(repo.dir, 'rev-parse', 'direct');
    const r = spawnGit(repo.dir, ['push', canonical(repo), 'direct:refs/for/main']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /remote: slipway: q1 queued: [0-9a-f]{12} \(direct: change\)/);
    const v = await waitFinal(repo, 'q1');
    assert.equal(v.item.state, 'merged');
    assert.equal(v.item.sha, sha);
    assert.equal(v.item.branch, 'refs/for/main');
    assert.equal(canonicalMain(repo), v.item.mergedAs);
    // The push ref is gone; the item's own ref keeps the commit.
    assert.equal(spawnGit(canonical(repo), ['rev-parse', '--verify', '--quiet', 'refs/for/main']).status, 1);
    assert.equal(git(canonical(repo), 'rev-parse', 'refs/slipway/queue/q1'), sha);
  });
});

const spawnGit = (cwd: string, args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: gitEnv() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
