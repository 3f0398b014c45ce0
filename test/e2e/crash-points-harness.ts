// The crash-point walk of the e2e tests (crash-points.test.ts, crash-points-deploy.test.ts): one
// app with a staging and a production environment, production under bounded load on 127.0.0.1
// throughout; the control plane is killed (SIGKILL) at each named crash point in turn
// (core/crash-points.ts, armed by SLIPWAY_CRASH_AT) during a scenario that reaches it, and the next
// command starts a new one. After each restart the invariants of SPEC §12 must hold: nothing is left
// in flight past its timeout; each side effect happened at most once; every environment serves its
// recorded release (a failure is recorded as one, with its rollback); one current release per
// environment; the event chain verifies; no secret value in any file; production answered every
// request; and no process is left that no release owns (issue 13.3).
//
// One home is shared by the cases of a file (each starts from where the last one left it), so a
// walk costs one setup. SLIPWAY_CRASH_POINTS=a,b runs only those points (docs/testing.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { TempRepo } from './harness.js';
import { liveInstances } from './deploy-harness.js';
import { branch } from './queue-helpers.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { waitFor } from '../../src/test-support/wait.js';
import { CRASH_POINT_NAMES, type CrashPoint } from '../../src/core/crash-points.js';

const SERVER_JS = `
const http = require('node:http');
const fs = require('node:fs');
const version = fs.readFileSync(__dirname + '/version.txt', 'utf8').trim();
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    // BROKEN=1 (a config value) fails the verification's probes of /work, never the health check.
    if (req.url === '/work' && process.env.BROKEN === '1') { res.writeHead(500); res.end('broken'); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ release: process.env.SLIPWAY_RELEASE, version }));
  });
});
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

const YAML = [
  'app: crashpoints',
  'build:',
  '  run: mkdir -p dist extra && cp -r server.cjs version.txt extra dist/',
  '  artifact: [dist/]',
  'run:',
  '  command: node dist/server.cjs',
  '  stop_grace: 2s',
  'environments:',
  '  staging:',
  '    deploy: auto',
  '    verify: { window: 600ms, interval: 100ms, min_samples: 5, checks: [error_rate < 1%], probe: { path: /work } }',
  '  production:',
  '    verify: { window: 600ms, interval: 100ms, min_samples: 5, checks: [error_rate < 1%] }',
  '',
].join('\n');

/** What a case does: the command run with the crash point armed, and what is done around it. */
export type Scenario = 'deploy' | 'rollback' | 'failing' | 'config' | 'secret' | 'run' | 'merge';

interface Case {
  point: CrashPoint;
  scenario: Scenario;
  /** Which hit of the point (1: the first). */
  hit?: number;
}

// Ordered so that a case that leaves production's lease behind (killed before its deployment was
// written: deploy.locked, deploy.release-created) is followed by one on staging: the lease expires
// by itself (15 s), and the next production deploy would wait for it.
export const CASES: Case[] = [
  { point: 'deploy.locked', scenario: 'deploy' },
  { point: 'verify.decided', scenario: 'failing' },
  { point: 'rollback.rolling-back', scenario: 'failing' },
  { point: 'deploy.release-created', scenario: 'deploy' },
  { point: 'rollback.restored', scenario: 'failing' },
  { point: 'rollback.digest-marked-bad', scenario: 'failing' },
  { point: 'rollback.finished', scenario: 'failing' },
  { point: 'deploy.intent-recorded', scenario: 'deploy' },
  { point: 'deploy.instances-started', scenario: 'deploy' },
  { point: 'deploy.instances-recorded', scenario: 'deploy' },
  { point: 'deploy.routes-desired', scenario: 'deploy' },
  { point: 'deploy.routed', scenario: 'deploy' },
  { point: 'verify.started', scenario: 'deploy' },
  { point: 'verify.interval-saved', scenario: 'deploy', hit: 2 },
  { point: 'verify.decided', scenario: 'deploy' },
  { point: 'deploy.step-done', scenario: 'deploy', hit: 3 },
  { point: 'deploy.retired', scenario: 'deploy' },
  { point: 'deploy.succeeded', scenario: 'deploy' },
  { point: 'deploy.routed', scenario: 'rollback' },
  { point: 'deploy.succeeded', scenario: 'rollback' },
  { point: 'run.recorded', scenario: 'run' },
  { point: 'run.checked-out', scenario: 'run' },
  { point: 'run.step-started', scenario: 'run' },
  { point: 'run.artifact-stored', scenario: 'run' },
  { point: 'run.step-recorded', scenario: 'run' },
  { point: 'run.finished', scenario: 'run' },
  { point: 'config.version-recorded', scenario: 'config' },
  { point: 'config.changed', scenario: 'config' },
  { point: 'secret.version-recorded', scenario: 'secret' },
  { point: 'merge.enqueued', scenario: 'merge' },
  { point: 'merge.batch-created', scenario: 'merge' },
  { point: 'merge.main-moved', scenario: 'merge' },
  { point: 'merge.merged', scenario: 'merge' },
  { point: 'merge.released', scenario: 'merge' },
];

/** The cases of `scenarios`, or only those of the points SLIPWAY_CRASH_POINTS names (a,b). */
const choose = (scenarios: readonly Scenario[]): Case[] => {
  const mine = CASES.filter((c) => scenarios.includes(c.scenario));
  const only = process.env.SLIPWAY_CRASH_POINTS;
  if (only === undefined || only === '') return mine;
  const names = only.split(',').map((s) => s.trim());
  for (const n of names) if (!(CRASH_POINT_NAMES as string[]).includes(n)) throw new Error(`SLIPWAY_CRASH_POINTS names "${n}", which is no crash point`);
  return mine.filter((c) => names.includes(c.point));
};

interface Deployment {
  id: string;
  env: string;
  release: number;
  digest: string;
  trigger: string;
  status: string;
  finished_at: string | null;
  reason: string | null;
}
interface Environment {
  env: string;
  url: string | null;
  current: { release: string; digest: string } | null;
  instances: { id: string; release: string; state: string }[];
  routes: { release: string; weight: number }[];
}
interface Event {
  seq: number;
  kind: string;
  subject: string;
  data: Record<string, unknown>;
}

interface Traffic {
  total: number;
  failed: number;
  firstFailure?: string;
}

/**
 * Bounded load on production: one request every `everyMs` on a keep-alive connection and one on a
 * new connection, each waiting for its answer (at most one of each in flight) — enough to see a
 * dropped request, little enough to leave the 2 cores to the control plane being tested.
 */
const steadyLoad = (url: string, until: Promise<void>, everyMs = 15): Promise<Traffic> => {
  const t: Traffic = { total: 0, failed: 0 };
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const one = (agent: http.Agent | false): Promise<void> =>
    new Promise((resolve) => {
      const fail = (why: string): void => {
        t.failed++;
        t.firstFailure ??= why;
        resolve();
      };
      const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          t.total++;
          if ((res.statusCode ?? 0) !== 200) fail(`status ${res.statusCode}`);
          else resolve();
        });
        res.on('error', (e) => fail(e.message));
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', (e) => {
        t.total++;
        fail(e.message);
      });
    });
  let stop = false;
  void until.then(() => (stop = true));
  const loop = async (agent: http.Agent | false): Promise<void> => {
    while (!stop) await Promise.all([one(agent), new Promise((r) => setTimeout(r, everyMs))]);
  };
  return Promise.all([loop(keepAlive), loop(false)]).then(() => {
    keepAlive.destroy();
    return t;
  });
};

/** The walk: one home, the cases of `scenarios` in turn, each checked after its restart. */
export const crashWalk = (title: string, scenarios: readonly Scenario[]): Promise<void> =>
  describe(title, () => {
    const chosen = choose(scenarios);
    let repo: TempRepo;
    let home = '';
    let area = '';
    let prodUrl = '';
    /** Every secret value ever set: none may appear in any file. */
    const secrets: string[] = [];
    let counter = 0;

    /** The control plane's API, with the home's token (a new control plane may listen elsewhere). */
    const api = async <T>(path: string): Promise<T> => {
      const { port } = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { port: number };
      const token = readFileSync(join(home, 'token'), 'utf8').trim();
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    };
    const ok = async (args: string[], opts: { input?: string } = {}): Promise<string> => {
      const r = await repo.cli(args, opts);
      assert.equal(r.code, 0, `slipway ${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    const serverPid = (): number | undefined => {
      try {
        return (JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { pid: number }).pid;
      } catch {
        return undefined;
      }
    };
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deployments = async (env: string): Promise<Deployment[]> => (await api<{ deployments: Deployment[] }>(`/v1/deployments?env=${env}&limit=1000`)).deployments;
    const environments = async (): Promise<Environment[]> => (await api<{ environments: Environment[] }>('/v1/environments')).environments;
    const events = async (): Promise<Event[]> => (await api<{ events: Event[] }>('/v1/events?limit=10000')).events;

    before(async () => {
      repo = new TempRepo('slipway-crashpoints-');
      repo.write({ 'server.cjs': SERVER_JS, 'version.txt': 'v0\n', 'slipway.yaml': YAML });
      repo.commit('crash points app');
      home = join(repo.dir, '.slipway');
      area = sandboxDirOf(home);
      await ok(['run']);
      const secret = `crashpt-${randomBytes(12).toString('hex')}`;
      secrets.push(secret);
      await ok(['secrets', 'set', 'production', 'API_TOKEN', '--no-deploy'], { input: secret });
      await ok(['deploy', 'staging']);
      await ok(['deploy', 'production']);
      // A second release, so that a rollback has somewhere to go.
      await ok(['deploy', 'production', '--force']);
      prodUrl = (await environments()).find((e) => e.env === 'production')?.url ?? '';
      assert.ok(prodUrl.startsWith('http://127.0.0.1:'), `production listens on loopback: ${prodUrl}`);
    });
    after(() => repo.dispose());

    /** Runs a scenario with the point armed; resolves once the control plane died at that point. */
    const crashDuring = async (c: Case): Promise<void> => {
      const n = ++counter;
      // Preparations run on an unarmed control plane.
      if (c.scenario === 'failing') await ok(['config', 'set', 'staging', 'BROKEN=1', '--no-deploy']);
      if (c.scenario === 'run') {
        repo.write({ [`notes/${n}.txt`]: `note ${n}\n` });
        repo.commit(`note ${n}`);
      }
      // A file of its own in the artifact: a new digest, and no conflict with main's other merges.
      if (c.scenario === 'merge') branch(repo, `change-${n}`, { [`extra/${n}.txt`]: `change ${n}\n` });
      const digestOf = async (env: string): Promise<string> => (await environments()).find((e) => e.env === env)?.current?.digest ?? '';
      const digests = { staging: await digestOf('staging'), production: await digestOf('production') };
      await ok(['server', 'stop']);
      const logBefore = readFileSync(join(home, 'server.log'), 'utf8').length;
      const armed = { SLIPWAY_CRASH_AT: `${c.point}@${c.hit ?? 1}` };
      const args: Record<Scenario, string[]> = {
        deploy: ['deploy', 'production', '--digest', digests.production, '--force', '--detach'],
        rollback: ['rollback', 'production', '--detach'],
        failing: ['deploy', 'staging', '--digest', digests.staging, '--force', '--detach'],
        config: ['config', 'set', 'production', `N=${n}`],
        secret: ['secrets', 'set', 'production', 'API_TOKEN'],
        run: ['run', '--detach'],
        merge: ['merge', `change-${n}`],
      };
      const value = `crashpt-${randomBytes(12).toString('hex')}`;
      if (c.scenario === 'secret') secrets.push(value);
      // The command's own outcome does not matter: its control plane dies under it, or after it answered.
      const cmd = repo.cli(args[c.scenario], { env: armed, ...(c.scenario === 'secret' ? { input: value } : {}) });
      const marker = `slipway-crash: ${c.point}@${c.hit ?? 1}`;
      await waitFor(
        () => {
          const log = readFileSync(join(home, 'server.log'), 'utf8').slice(logBefore);
          if (!log.includes(marker)) throw new Error(`server.log has no "${marker}" yet`);
          const pid = serverPid();
          if (pid !== undefined && alive(pid)) throw new Error(`the control plane ${pid} still runs`);
          return true;
        },
        { what: `the control plane to die at ${marker} (${c.scenario})`, timeout: 60_000, interval: 20 },
      );
      await cmd;
    };

    /** After the restart: what was in flight is resolved (deployments, runs, the queue). */
    const settle = async (c: Case): Promise<void> => {
      await waitFor(
        async () => {
          for (const env of ['staging', 'production']) {
            const open = (await deployments(env)).filter((d) => d.finished_at === null);
            if (open.length > 0) throw new Error(`${env}: ${open.map((d) => `${d.id} ${d.status}`).join(', ')} in flight`);
          }
          const runs = (await api<{ runs: { id: string; status: string }[] }>('/v1/runs?limit=50')).runs.filter((r) => r.status === 'queued' || r.status === 'running');
          if (runs.length > 0) throw new Error(`runs in flight: ${runs.map((r) => r.id).join(', ')}`);
          const items = (await api<{ items: { id: string; state: string }[] }>('/v1/queue?limit=50')).items.filter((i) => i.state === 'queued' || i.state === 'testing');
          if (items.length > 0) throw new Error(`queue items in flight: ${items.map((i) => `${i.id} ${i.state}`).join(', ')}`);
          if (c.scenario === 'merge') {
            // staging takes every merge (deploy: auto): the desired digest is main's.
            const merged = (await api<{ items: { id: string; state: string; digest?: string }[] }>('/v1/queue?limit=50')).items
              .filter((i) => i.state === 'merged')
              .sort((a, b) => Number(b.id.slice(1)) - Number(a.id.slice(1)))[0];
            const current = (await environments()).find((e) => e.env === 'staging')?.current?.digest;
            if (merged?.digest !== current) throw new Error(`staging serves ${current ?? 'nothing'}, main's artifact is ${merged?.digest ?? 'none'} (${merged?.id ?? 'no item merged'})`);
          }
          return true;
        },
        // The longest a resumed deployment may take: a lease left by the killed one (15 s), a start and a window.
        { what: 'everything in flight to be resolved', timeout: 90_000, interval: 200 },
      );
    };

    const checkInvariants = async (label: string): Promise<void> => {
      const envs = await environments();
      const all = await events();
      // Each side effect at most once: one creation per deployment and run, one end per deployment.
      const count = (kind: string, key: (e: Event) => string): Map<string, number> => {
        const m = new Map<string, number>();
        for (const e of all.filter((x) => x.kind === kind)) m.set(key(e), (m.get(key(e)) ?? 0) + 1);
        return m;
      };
      for (const [kind, key] of [
        ['deployment.created', (e: Event) => e.subject],
        ['run.created', (e: Event) => e.subject],
        ['artifact.built', (e: Event) => e.subject],
        ['deployment.healthy', (e: Event) => `${e.subject} ${String(e.data.release)}`],
        ['deployment.digest_marked_bad', (e: Event) => e.subject],
        ['deployment.verified', (e: Event) => `${e.subject} ${String(e.data.label)}`],
        ['queue.enqueued', (e: Event) => e.subject],
        ['queue.merged', (e: Event) => e.subject],
        // A merged batch is deployed to each environment once, even when a restart releases it again.
        ['queue.deployed', (e: Event) => `${e.subject} ${String(e.data.env)}`],
        ['config.changed', (e: Event) => `${String(e.data.env)} ${String(e.data.version)}`],
        ['secret.set', (e: Event) => `${String(e.data.env)} ${String(e.data.name)} ${String(e.data.version)}`],
      ] as const) {
        for (const [k, n] of count(kind, key)) assert.equal(n, 1, `${label}: ${kind} ${k} recorded ${n} times`);
      }
      const ends = count('deployment.phase', (e) => `${e.subject} ${String(e.data.phase)}`);
      for (const [k, n] of ends) if (/ (succeeded|rolled_back|failed)$/.test(k)) assert.equal(n, 1, `${label}: ${k} recorded ${n} times`);

      for (const env of ['staging', 'production']) {
        const e = envs.find((x) => x.env === env);
        assert.ok(e?.current, `${label}: ${env} has a current release`);
        const current = e.current;
        // One current release: all the traffic goes to it.
        const live = e.routes.filter((r) => r.weight > 0).map((r) => r.release);
        assert.deepEqual(live, [current.release], `${label}: ${env} routes ${JSON.stringify(e.routes)} with current ${current.release}`);
        // It serves its recorded release and digest.
        const served = JSON.parse(await (await fetch(e.url ?? '')).text()) as { release: string };
        assert.equal(served.release, current.release, `${label}: ${env} serves ${served.release}, its current release is ${current.release}`);
        const history = await deployments(env);
        const last = history.find((d) => d.status === 'succeeded');
        assert.equal(`v${last?.release}`, current.release, `${label}: ${env}'s current release is its last successful deployment`);
        assert.equal(last?.digest, current.digest, `${label}: ${env}'s digest`);
        // A deployment newer than the current one ended with its reason recorded (a failure, its rollback).
        for (const d of history.slice(0, last === undefined ? 0 : history.indexOf(last))) {
          assert.ok(['failed', 'rolled_back', 'canceled', 'rejected'].includes(d.status), `${label}: ${d.id} is ${d.status}, newer than the current ${current.release}`);
          assert.ok(d.reason, `${label}: ${d.id} ended ${d.status} with no reason recorded`);
        }
        // No more instances than a release runs (1), only of releases that are routed.
        const byRelease = new Map<string, number>();
        for (const i of e.instances) byRelease.set(i.release, (byRelease.get(i.release) ?? 0) + 1);
        for (const [r, n] of byRelease) assert.ok(n <= 1, `${label}: ${env} runs ${n} instances of ${r}`);
      }
      // A release undone by `slipway rollback` is recorded so.
      for (const env of ['staging', 'production']) {
        const history = await deployments(env);
        for (const rb of history.filter((d) => d.trigger === 'rollback' && d.status === 'succeeded')) {
          const undone = history.filter((d) => d.status === 'rolled_back' && new RegExp(`^rolled back by ${rb.id}[: ]`).test(d.reason ?? ''));
          assert.equal(undone.length, 1, `${label}: ${rb.id} rolled ${env} back, and the deployment it undid is ${undone.length === 0 ? 'not' : 'more than once'} recorded rolled back`);
        }
      }
      // No process that no release owns; one control plane.
      const owned = new Set(envs.flatMap((e) => e.instances.map((i) => i.id)));
      for (const [pid, id] of liveInstances(area)) assert.ok(owned.has(id), `${label}: process ${pid} of instance ${id} runs, but no release owns it`);
      // A `slipway server` started by a command while another took the lock first exits at once
      // (exit 3): seen for a moment, it is not a second control plane. One that serves stays.
      await waitFor(() => controlPlanes().length === 1 || undefined, { what: 'one control plane of this home', timeout: 15_000, interval: 100 }).catch(() => undefined);
      assert.equal(controlPlanes().length, 1, `${label}: control planes of this home: ${controlPlanes().join(', ')}`);
      // The event chain verifies.
      const chain = (await api<{ chain: { ok: boolean } }>('/v1/events/verify')).chain;
      assert.equal(chain.ok, true, `${label}: event chain: ${JSON.stringify(chain)}`);
    };

    /** Pids of the live control planes of this home. */
    const controlPlanes = (): number[] => {
      const found: number[] = [];
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
          if (!cmd.includes('server') || !cmd.includes('--foreground')) continue;
          const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
          if (env.includes(`SLIPWAY_HOME=${home}`)) found.push(Number(name));
        } catch {
          // Gone meanwhile, or not ours to read.
        }
      }
      return found;
    };

    for (const c of chosen) {
      const label = `${c.point}${c.hit ? `@${c.hit}` : ''} (${c.scenario})`;
      test(label, async () => {
        let stop!: () => void;
        const until = new Promise<void>((r) => (stop = r));
        const traffic = steadyLoad(prodUrl, until);
        try {
          await crashDuring(c);
          // Any command starts a new control plane, which resumes or resolves what was in flight.
          await ok(['status']);
          await settle(c);
          await checkInvariants(label);
        } finally {
          stop();
        }
        const t = await traffic;
        assert.equal(t.failed, 0, `${label}: production failed ${t.failed} of ${t.total} requests, first: ${t.firstFailure}`);
        assert.ok(t.total > 20, `${label}: traffic flowed throughout (${t.total} requests)`);
        if (c.scenario === 'failing') await ok(['config', 'unset', 'staging', 'BROKEN', '--no-deploy']);
      });
    }

    test('no secret value in any file of the home or its sandbox area', () => {
      const forms = secrets.flatMap((s) => [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('hex')]);
      const scan = (dir: string): void => {
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          return;
        }
        for (const name of names) {
          const p = join(dir, name);
          let st;
          try {
            st = lstatSync(p);
          } catch {
            continue;
          }
          if (st.isDirectory()) scan(p);
          else if (st.isFile()) {
            const text = readFileSync(p).toString('latin1');
            for (const f of forms) assert.ok(!text.includes(f), `${p} holds a secret value`);
          }
        }
      };
      scan(home);
      scan(area);
    });
  });
