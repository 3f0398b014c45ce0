// Given a batch under test, when the control plane is killed or main is moved behind the queue's
// back, then the queue resumes from SQLite and tests again — it never merges untested. And when
// main moves, environments with `deploy: auto` receive the artifact of the run that gated it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, type TempRepo } from './harness.js';
import { branch, canonical, canonicalMain, closeLatch, HOLD, openLatch, queuedApp, showItem, waitFinal } from './queue-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';

const repos: TempRepo[] = [];
const track = (r: TempRepo): TempRepo => (repos.push(r), r);
after(async () => {
  for (const r of repos) await r.dispose();
});

const waitTesting = (repo: TempRepo, id: string): Promise<true> =>
  waitFor(
    async () => {
      const v = await showItem(repo, id);
      if (v.item.state === 'testing' && v.item.runIds.length > 0) return true;
      throw new Error(`it is ${v.item.state}, not under test`);
    },
    { what: `${id} to be under test`, interval: 100 },
  );

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the queue survives', () => {
  const repo = track(queuedApp());

  test('kill -9 of the control plane in the middle of a run: the next one tests the batch again and merges it', async () => {
    closeLatch(repo);
    branch(repo, 'survivor', { 'src/s.txt': 's\n', ...HOLD }, 'survive a crash');
    assert.equal((await repo.cli(['merge', 'survivor'])).code, 0);
    await waitTesting(repo, 'q1');
    const pid = (JSON.parse(readFileSync(join(repo.dir, '.slipway', 'server.json'), 'utf8')) as { pid: number }).pid;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), { what: 'the killed control plane to exit' });
    assert.equal(canonicalMain(repo), git(repo.dir, 'rev-parse', 'main'), 'main did not move');
    openLatch(repo);
    // Any command starts a new control plane, which resumes the queue.
    const v = await waitFinal(repo, 'q1');
    assert.equal(v.item.state, 'merged');
    assert.equal(v.item.runIds.length, 2, 'the interrupted run, then the run that gated the merge');
    const [first, second] = v.runs;
    assert.equal(first?.status, 'failed');
    assert.equal(first?.commit, second?.commit, 'the same merge commit (deterministic) was tested again');
    assert.equal(second?.status, 'passed');
    assert.equal(canonicalMain(repo), second?.commit);
    const events = JSON.parse((await repo.cli(['events', '--json', '-n', '500'])).stdout) as { kind: string }[];
    assert.ok(events.some((e) => e.kind === 'queue.resumed'));
  });

  test('main moved behind the queue’s back while a batch was tested: the queue stops; once the new main is accepted, tested again on it, never merged untested', async () => {
    closeLatch(repo);
    const sha = branch(repo, 'racer', { 'src/r.txt': 'r\n', ...HOLD }, 'race main');
    assert.equal((await repo.cli(['merge', 'racer'])).code, 0);
    await waitTesting(repo, 'q2');
    // An administrator moves main directly in the bare repository (update-ref runs no hook).
    const bare = canonical(repo);
    const moved = git(bare, 'commit-tree', '-m', 'moved by hand', '-p', 'main', 'main^{tree}');
    git(bare, 'update-ref', 'refs/heads/main', moved);
    openLatch(repo);
    // The swap fails and the queue stops on the move it did not make, until someone accepts it.
    const halt = await waitFor(async () => (JSON.parse((await repo.cli(['queue', '--json'])).stdout) as { halted: { found?: string } | null }).halted, { what: 'the queue to stop on the move of main', timeout: 60_000, interval: 200 });
    assert.equal(halt.found, moved);
    assert.equal((await showItem(repo, 'q2')).item.state, 'queued');
    assert.equal((await repo.cli(['queue', 'accept-main', moved])).code, 0);
    const v = await waitFinal(repo, 'q2');
    assert.equal(v.item.state, 'merged');
    assert.equal(v.item.runIds.length, 2);
    const [stale, gated] = v.runs;
    assert.equal(stale?.status, 'passed', 'the first run passed, yet did not merge: main had moved');
    assert.notEqual(stale?.commit, canonicalMain(repo));
    assert.equal(gated?.commit, canonicalMain(repo));
    assert.equal(git(bare, 'rev-list', '--parents', '-n', '1', 'main'), `${canonicalMain(repo)} ${moved} ${sha}`);
    const events = JSON.parse((await repo.cli(['events', '--json', '-n', '500'])).stdout) as { kind: string; data: { reason?: string } }[];
    assert.match(events.find((e) => e.kind === 'queue.restarted')?.data.reason ?? '', /main moved from [0-9a-f]{12} to [0-9a-f]{12}/);
  });
});

describe('a push while the control plane is down', () => {
  const repo = track(queuedApp());

  test('the hook starts the control plane and the change is queued and merged', async () => {
    assert.equal((await repo.cli(['remote', 'init'])).code, 0);
    assert.equal((await repo.cli(['server', 'stop'])).code, 0);
    const sha = branch(repo, 'offline', { 'src/o.txt': 'o\n' });
    const push = spawnSync('git', ['push', canonical(repo), 'offline:refs/for/main'], { cwd: repo.dir, encoding: 'utf8', env: gitEnv() });
    assert.equal(push.status, 0, push.stderr);
    assert.match(push.stderr, /remote: slipway: q1 queued/);
    const v = await waitFinal(repo, 'q1');
    assert.equal(v.item.state, 'merged');
    assert.equal(v.item.sha, sha);
  });
});

describe('continuous deployment', () => {
  const server = [
    "import { createServer } from 'node:http';",
    "createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : 'hello from the queue\\n')).listen(Number(process.env.PORT), '127.0.0.1');",
    '',
  ].join('\n');
  const repo = track(
    queuedApp({
      files: { 'src/server.mjs': server },
      yaml: ['run:', '  command: node dist/src/server.mjs', '  health: { path: /healthz, start_timeout: 10s }', '  stop_grace: 1s', 'environments:', '  staging:', '    deploy: auto', '    verify: false', '  production:', '    verify: false'],
    }),
  );

  test('when main advances, `deploy: auto` environments get the artifact of the run that gated it', async () => {
    branch(repo, 'shipped', { 'src/shipped.txt': 'shipped\n' });
    const r = await repo.cli(['merge', 'shipped', '--wait']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const v = await showItem(repo, 'q1');
    const staging = await waitFor(
      async () => {
        const h = JSON.parse((await repo.cli(['history', 'staging', '--json'])).stdout) as { trigger: string; digest: string; commit: string; status: string }[];
        return h[0]?.status === 'succeeded' ? h : undefined;
      },
      { what: 'the automatic staging deployment to succeed', interval: 200 },
    );
    assert.equal(staging.length, 1);
    assert.equal(staging[0]?.trigger, 'auto');
    assert.equal(staging[0]?.status, 'succeeded');
    assert.equal(staging[0]?.digest, v.item.digest, 'the artifact built while gating, not a rebuild');
    assert.equal(staging[0]?.commit, v.item.mergedAs);
    // A manual environment is left alone.
    const production = await repo.cli(['history', 'production', '--json']);
    assert.match(production.stdout + production.stderr, /nothing was deployed to it/);
    const events = JSON.parse((await repo.cli(['events', '--json', '-n', '500'])).stdout) as { kind: string; data: { env?: string; digest?: string } }[];
    const deployed = events.find((e) => e.kind === 'queue.deployed');
    assert.equal(deployed?.data.env, 'staging');
    assert.equal(deployed?.data.digest, v.item.digest);
    // Only one artifact was ever built for that commit.
    const runs = JSON.parse((await repo.cli(['runs', '--json', '-n', '50'])).stdout) as { commit: string }[];
    assert.equal(runs.filter((x) => x.commit === v.item.mergedAs).length, 1);
  });
});
