// Given a real git repository and the real CLI, when pipelines run, then they build once, gate,
// record and stream as the foundation promises.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { git, TempRepo } from './harness.js';
import { sandboxDirOf } from '../../src/home/paths.js';

const repos: TempRepo[] = [];
const track = (r: TempRepo): TempRepo => (repos.push(r), r);
after(async () => {
  for (const r of repos) await r.dispose();
});

/** Alive and not a zombie (a container's init may be slow to reap orphans). */
const isRunning = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
};

/** The pids of running processes whose command line is exactly `argv`. */
const processesRunning = (argv: string[]): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8') === `${argv.join('\0')}\0`;
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(isRunning);

interface RunJson {
  run: { id: string; status: string; digest?: string; reason?: string; commit: string };
  steps: { name: string; status: string; startedAt?: string; finishedAt?: string; reason?: string }[];
}

describe('slipway run on the example app', () => {
  const repo = track(TempRepo.fromExample());

  test('runs the pipeline of the exact commit and prints the artifact digest', async () => {
    const r = await repo.cli(['run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /✔ run r1 passed/);
    assert.match(r.stdout, /artifact sha256:[0-9a-f]{64}/);
    // Plain, timestamped lines when stdout is not a terminal.
    assert.match(r.stdout, /^\d\d:\d\d:\d\d\.\d{3} \[build\] /m);
    assert.match(r.stdout, /\[test\] .*pass 2/);
  });

  test('lists runs and replays logs, also as JSON', async () => {
    const runs = await repo.cli(['runs', '--json']);
    assert.equal(runs.code, 0);
    const list = JSON.parse(runs.stdout) as { id: string; status: string; commit: string }[];
    assert.equal(list[0]?.id, 'r1');
    assert.equal(list[0]?.status, 'passed');
    assert.equal(list[0]?.commit, git(repo.dir, 'rev-parse', 'HEAD'));
    const logs = await repo.cli(['logs', 'r1']);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /\[build\] built dist\/ from src\//);
    assert.match(logs.stdout, /— run r1 passed/);
    const logsJson = JSON.parse((await repo.cli(['logs', '1', '--json', '--step', 'test'])).stdout) as { logs: { step: string }[] };
    assert.ok(logsJson.logs.length > 0);
    assert.ok(logsJson.logs.every((l) => l.step === 'test'));
  });

  test('a second build of the same commit returns the stored artifact without rebuilding', async () => {
    const first = JSON.parse((await repo.cli(['runs', '--json'])).stdout) as { digest: string }[];
    const b = await repo.cli(['build', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const out = JSON.parse(b.stdout) as { digest: string; existed: boolean };
    assert.equal(out.existed, true);
    assert.equal(out.digest, first[0]?.digest);
    const again = await repo.cli(['run', '--json']);
    const run2 = JSON.parse(again.stdout) as RunJson;
    assert.equal(run2.run.digest, out.digest);
    const logs = await repo.cli(['logs', run2.run.id, '--step', 'build']);
    assert.match(logs.stdout, /reused artifact sha256:[0-9a-f]{64} built for this commit by run r1; not rebuilding/);
    assert.doesNotMatch(logs.stdout, /built dist\/ from src\//);
  });

  test('verifies the artifact, and reports a single flipped byte as corrupt', async () => {
    const { digest } = JSON.parse((await repo.cli(['build', '--json'])).stdout) as { digest: string };
    const ok = await repo.cli(['artifacts', 'verify', digest.slice(7, 19)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /content matches its digest; provenance signed/);
    const inspect = JSON.parse((await repo.cli(['artifacts', 'inspect', digest])).stdout) as { details: { provenance: { statement: { predicateType: string; predicate: { buildDefinition: { resolvedDependencies: { digest: { gitCommit?: string } }[] } } } } } };
    assert.equal(inspect.details.provenance.statement.predicateType, 'https://slsa.dev/provenance/v1');
    assert.ok(JSON.stringify(inspect.details.provenance.statement).includes(git(repo.dir, 'rev-parse', 'HEAD')));

    const blob = join(repo.dir, '.slipway/artifacts/sha256', digest.slice(7));
    const bytes = readFileSync(blob);
    bytes[600] = (bytes[600] ?? 0) ^ 0x01;
    chmodSync(blob, 0o644);
    writeFileSync(blob, bytes);
    const bad = await repo.cli(['artifacts', 'verify', digest]);
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /corrupt/);
    // A corrupt artifact is never reused: the next build of the commit builds afresh.
    const rebuilt = await repo.cli(['build', '--json']);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.equal((JSON.parse(rebuilt.stdout) as { existed: boolean }).existed, false);
  });

  test('the event log is hash-chained and verifies', async () => {
    const v = await repo.cli(['events', 'verify', '--json']);
    assert.equal(v.code, 0);
    const chain = JSON.parse(v.stdout) as { ok: boolean; count: number };
    assert.equal(chain.ok, true);
    assert.ok(chain.count > 5);
  });

  test('server status and stop', async () => {
    const s = JSON.parse((await repo.cli(['server', 'status', '--json'])).stdout) as { running: boolean; pid: number };
    assert.equal(s.running, true);
    assert.equal((await repo.cli(['server', 'stop'])).code, 0);
    assert.equal((JSON.parse((await repo.cli(['server', 'status', '--json'])).stdout) as { running: boolean }).running, false);
    // Any command starts it again.
    assert.equal((await repo.cli(['runs'])).code, 0);
  });
});

describe('reproducible builds', () => {
  test('the same commit built in two different clones gives the same digest, and the check agrees', async () => {
    const a = track(TempRepo.fromExample());
    const b = track(new TempRepo());
    git(b.dir, 'pull', '--quiet', a.dir, 'main');
    assert.equal(git(a.dir, 'rev-parse', 'HEAD'), git(b.dir, 'rev-parse', 'HEAD'));
    const da = JSON.parse((await a.cli(['build', '--json'])).stdout) as { digest: string };
    const db = JSON.parse((await b.cli(['build', '--json'])).stdout) as { digest: string };
    assert.match(da.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(da.digest, db.digest);
    const check = await a.cli(['build', '--check-reproducible', '--json']);
    assert.equal(check.code, 0, check.stderr);
    assert.equal((JSON.parse(check.stdout) as { reproducible: boolean }).reproducible, true);
  });

  test('a build that stamps the time is reported as not reproducible, naming the file', async () => {
    const repo = track(new TempRepo());
    repo.write({ 'slipway.yaml': 'app: stamp\nbuild:\n  run: mkdir -p dist && echo same > dist/a.txt && date +%s%N > dist/stamp.txt\n  artifact: [dist/]\n' });
    repo.commit('stamp');
    assert.equal((await repo.cli(['build'])).code, 0);
    const check = await repo.cli(['build', '--check-reproducible']);
    assert.equal(check.code, 1);
    assert.match(check.stderr, /not reproducible/);
    assert.match(check.stderr, /dist\/stamp\.txt/);
    assert.doesNotMatch(check.stderr, /dist\/a\.txt/);
  });
});

describe('steps', () => {
  test('independent steps run in parallel; dependants wait; SOURCE_DATE_EPOCH is the commit time', async () => {
    const repo = track(new TempRepo());
    repo.write({
      'slipway.yaml': [
        'app: par',
        'build:',
        '  run: mkdir -p dist && echo "$SOURCE_DATE_EPOCH" > dist/epoch',
        '  artifact: [dist/]',
        'gates:',
        '  a: { run: "sleep 1; echo a done", needs: [] }',
        '  b: { run: "sleep 1; echo b done", needs: [] }',
        '  c: { run: "cat dist/epoch", needs: [a, b, build] }',
        '',
      ].join('\n'),
    });
    repo.commit('par');
    const r = await repo.cli(['run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as RunJson;
    const step = (n: string) => out.steps.find((s) => s.name === n)!;
    const t = (s?: string) => Date.parse(s ?? '');
    assert.ok(t(step('b').startedAt) < t(step('a').finishedAt), 'a and b overlap');
    assert.ok(t(step('c').startedAt) >= Math.max(t(step('a').finishedAt), t(step('b').finishedAt)), 'c waits for a and b');
    const logs = await repo.cli(['logs', out.run.id, '--step', 'c']);
    assert.match(logs.stdout, new RegExp(`\\[c\\] ${Date.parse('2026-01-02T03:04:05Z') / 1000}$`, 'm'));
  });

  test('a failing step fails the run with exit 1, names the step and its last lines, and skips dependants', async () => {
    const repo = track(new TempRepo());
    repo.write({ 'slipway.yaml': 'app: fail\nbuild:\n  run: mkdir -p dist && touch dist/x\n  artifact: [dist/]\ngates:\n  test: { run: "echo checking; echo \'expected 2, got 3\' >&2; exit 3" }\n  deploy-docs: { run: "echo never", needs: [test] }\n' });
    repo.commit('fail');
    const r = await repo.cli(['run']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /step "test" failed: exited with code 3/);
    assert.match(r.stderr, /expected 2, got 3/);
    const runs = JSON.parse((await repo.cli(['runs', '--json'])).stdout) as { status: string }[];
    assert.equal(runs[0]?.status, 'failed');
    const detail = JSON.parse((await repo.cli(['logs', 'r1', '--json'])).stdout) as { logs: { step: string }[] };
    assert.ok(!detail.logs.some((l) => l.step === 'deploy-docs'));
    const steps = JSON.parse((await repo.cli(['run', '--json'])).stdout) as RunJson;
    assert.equal(steps.steps.find((s) => s.name === 'deploy-docs')?.status, 'skipped');
  });

  test('a step over its timeout is stopped and fails the run, naming the timeout', async () => {
    const repo = track(new TempRepo());
    // The step is sandboxed (its own pid namespace, no write outside its work tree): find its
    // sleep by a duration no other process uses, as the Ctrl-C test does.
    const marker = `${600 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    repo.write({ 'slipway.yaml': `app: slow\nbuild:\n  run: mkdir -p dist && touch dist/x\n  artifact: [dist/]\ngates:\n  slow: { run: "exec sleep ${marker}", timeout: 1s, needs: [] }\n` });
    repo.commit('slow');
    const r = await repo.cli(['run']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /step "slow" failed: timed out after 1\.\d s/);
    // Stopped, not waited for: the step's process is gone when the run ends.
    assert.deepEqual(processesRunning(['sleep', marker]), [], 'the timed-out step was stopped');
  });

  test('Ctrl-C cancels the run, stops every process of its steps and records it as canceled', async () => {
    const repo = track(new TempRepo());
    // The step is sandboxed (its own pid namespace and /tmp): find its background sleep by a
    // duration no other process uses.
    const marker = `${600 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    repo.write({ 'slipway.yaml': `app: cancel\nbuild:\n  run: mkdir -p dist && touch dist/x\n  artifact: [dist/]\ngates:\n  long: { run: "sleep ${marker} & echo started; wait", needs: [] }\n` });
    repo.commit('cancel');
    const child = repo.spawn(['run']);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('[long] started')) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 130);
    assert.deepEqual(processesRunning(['sleep', marker]), [], 'the background sleep of the step is gone');
    const runs = JSON.parse((await repo.cli(['runs', '--json'])).stdout) as { status: string; reason: string }[];
    assert.equal(runs[0]?.status, 'canceled');
    assert.match(runs[0]?.reason ?? '', /SIGINT/);
  });

  test('says so when the working tree is dirty, and runs the committed tree only', async () => {
    const repo = track(new TempRepo());
    repo.write({ 'slipway.yaml': 'app: dirty\nbuild:\n  run: mkdir -p dist && cp msg.txt dist/\n  artifact: [dist/]\n', 'msg.txt': 'committed\n' });
    repo.commit('dirty');
    repo.write({ 'msg.txt': 'uncommitted\n', 'new.txt': 'x' });
    const r = await repo.cli(['run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /uncommitted changes \(.*msg\.txt.*\); they are not part of this run/);
    const run = JSON.parse(r.stdout) as RunJson;
    const work = join(sandboxDirOf(join(repo.dir, '.slipway')), 'work');
    assert.ok(!existsSync(work) || readdirSync(work).length === 0, 'the checkout is removed after the run');
    const inspect = JSON.parse((await repo.cli(['artifacts', 'inspect', run.run.digest ?? ''])).stdout) as { details: { paths: string[] } };
    assert.ok(inspect.details.paths.includes('dist/msg.txt'));
  });

  test('two CLIs at once on one repository share one control plane and both finish', async () => {
    const repo = track(new TempRepo());
    repo.write({ 'slipway.yaml': 'app: twice\nbuild:\n  run: mkdir -p dist && echo x > dist/x && sleep 1\n  artifact: [dist/]\ngates:\n  t: { run: "echo ok" }\n' });
    repo.commit('twice');
    const [a, b] = await Promise.all([repo.cli(['run', '--json']), repo.cli(['run', '--json'])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ids = [JSON.parse(a.stdout) as RunJson, JSON.parse(b.stdout) as RunJson].map((x) => x.run.id).sort();
    assert.deepEqual(ids, ['r1', 'r2']);
  });
});
