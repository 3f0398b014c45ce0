// Given a merge queue that has merged a change, when main is moved behind its back (the review's
// `git update-ref` from a step, here run directly on the canonical repository) or pushed to under a
// look-alike name, then the look-alikes are refused by the hook, and the move stops the queue with
// a report of the old and new commits and an audit event; the queue resumes when main is put back
// or the new main is accepted.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, type TempRepo } from './harness.js';
import { branch, canonical, canonicalMain, queuedApp, showItem, waitFinal } from './queue-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';

const repos: TempRepo[] = [];
after(async () => {
  for (const r of repos) await r.dispose();
});

interface Halt {
  expected?: string;
  found?: string;
  by: string;
  message: string;
}

describe('main cannot move behind the queue’s back unnoticed', () => {
  const repo = queuedApp();
  repos.push(repo);
  const start = git(repo.dir, 'rev-parse', 'main');
  const halted = async (): Promise<Halt | null> => (JSON.parse((await repo.cli(['queue', '--json'])).stdout) as { halted: Halt | null }).halted;
  const events = async (): Promise<{ kind: string; subject: string; data: Record<string, unknown> }[]> => {
    const home = join(repo.dir, '.slipway');
    const { port } = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { port: number };
    const token = readFileSync(join(home, 'token'), 'utf8').trim();
    const r = await fetch(`http://127.0.0.1:${port}/v1/events?subject=main&limit=10000`, { headers: { authorization: `Bearer ${token}` } });
    return ((await r.json()) as { events: { kind: string; subject: string; data: Record<string, unknown> }[] }).events;
  };

  test('look-alikes of protected refs are refused by the hook: refs/heads/HEAD, Main, MAIN, refs/for/MAIN', async () => {
    const r = await repo.cli(['merge', branchOf(repo, 'first'), '--wait']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const main = canonicalMain(repo);
    for (const ref of ['refs/heads/HEAD', 'refs/heads/Main', 'refs/heads/MAIN', 'refs/for/MAIN', 'refs/Slipway/queue/q9']) {
      const push = spawnSync('git', ['push', canonical(repo), `first:${ref}`], { cwd: repo.dir, encoding: 'utf8', env: gitEnv() });
      assert.notEqual(push.status, 0, `${ref} was accepted: ${push.stderr}`);
      assert.match(push.stderr, /refused/, ref);
      assert.equal(spawnSync('git', ['--git-dir', canonical(repo), 'rev-parse', '--verify', '--quiet', ref], { env: gitEnv() }).status, 1, `${ref} was not created`);
    }
    assert.equal(canonicalMain(repo), main);
  });

  test('a move of main the queue did not make stops it, with the old and new commits and an audit event', async () => {
    const merged = canonicalMain(repo);
    assert.ok(merged);
    // The review's move: main set back to a commit of the attacker's choosing, bypassing every hook.
    git(canonical(repo), 'update-ref', 'refs/heads/main', start);
    const halt = await waitFor(halted, { what: 'the queue to notice the move of main', timeout: 30_000, interval: 200 });
    assert.equal(halt.expected, merged);
    assert.equal(halt.found, start);
    assert.equal(halt.by, 'unknown');
    assert.match(halt.message, /not by the merge queue/);
    const moved = (await events()).find((e) => e.kind === 'queue.main_moved');
    assert.deepEqual(moved?.data, { expected: merged, found: start, by: 'unknown' });
    const text = await repo.cli(['queue']);
    assert.match(text.stdout, /STOPPED/);
    assert.match(text.stdout, new RegExp(`main moved from ${merged.slice(0, 12)} to ${start.slice(0, 12)}`));

    // Stopped: a new change waits, untested.
    const q = await repo.cli(['merge', branchOf(repo, 'second')]);
    assert.equal(q.code, 0, q.stderr);
    const v = await showItem(repo, 'q2');
    assert.equal(v.item.state, 'queued');
    assert.deepEqual(v.item.runIds, []);
    assert.equal(canonicalMain(repo), start, 'the queue did not touch main');

    // Accepting the wrong commit is refused; the commit main holds is accepted and the queue resumes.
    const wrong = await repo.cli(['queue', 'accept-main', merged]);
    assert.equal(wrong.code, 3, wrong.stderr);
    const ok = await repo.cli(['queue', 'accept-main', start]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await waitFinal(repo, 'q2')).item.state, 'merged');
    assert.equal(await halted(), null);
    assert.ok((await events()).some((e) => e.kind === 'queue.main_accepted' && e.data.main === start));
    const again = await repo.cli(['queue', 'accept-main', canonicalMain(repo) ?? '']);
    assert.equal(again.code, 3, 'nothing to accept when the queue is not stopped');
  });

  test('main put back where the queue left it resumes the queue by itself', async () => {
    const mine = canonicalMain(repo);
    assert.ok(mine);
    git(canonical(repo), 'update-ref', 'refs/heads/main', start);
    await waitFor(halted, { what: 'the queue to notice the move of main', timeout: 30_000, interval: 200 });
    git(canonical(repo), 'update-ref', 'refs/heads/main', mine);
    await waitFor(async () => (await halted()) === null, { what: 'the queue to resume', timeout: 30_000, interval: 200 });
    assert.ok((await events()).some((e) => e.kind === 'queue.main_restored'));
  });
});

/** A branch with one new file; returns its name. */
const branchOf = (repo: TempRepo, name: string): string => {
  branch(repo, name, { [`src/${name}.txt`]: `${name}\n` });
  return name;
};
