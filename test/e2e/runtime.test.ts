// The process runtime end to end: a real artifact, real shims and apps on real ports.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { createProcessRuntime } from '../../src/adapters/runtime/process/index.js';
import { MASK } from '../../src/runtime-shim/mask.js';
import type { InstanceInfo, Runtime, RuntimeEvent, StartResult } from '../../src/ports/runtime.js';
import { alive, appHome, appSpec, getJson, sleep, type AppHome } from './runtime-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';

const ROOT = join(import.meta.dirname, '../../..');

let h: AppHome;
before(async () => {
  h = await appHome();
});
after(() => h.done());

/** A runtime over the shared home, with the events it emits; closed (stopping all) after `body`. */
async function withRuntime(body: (rt: Runtime, events: RuntimeEvent[]) => Promise<void>, options: Partial<Parameters<typeof createProcessRuntime>[0]> = {}): Promise<void> {
  const rt = createProcessRuntime({ home: h.home, artifacts: h.artifacts, sandbox: h.sandbox, ...options });
  const events: RuntimeEvent[] = [];
  rt.onEvent((e) => events.push(e));
  try {
    await body(rt, events);
  } finally {
    await rt.close({ stopInstances: true });
  }
}

const ok = (r: StartResult): InstanceInfo[] => {
  assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${r.message}\n${r.lastLines.join('\n')}`);
  return r.instances;
};

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

void describe('process runtime', () => {
  void test('given a stored release, when two instances start, then both serve with their metadata from the read-only release dir', () =>
    withRuntime(async (rt, events) => {
      process.env.SLIPWAY_TEST_LEAK = 'control-plane-only';
      let instances: InstanceInfo[];
      try {
        instances = ok(await rt.start(appSpec(h.ref(1), { instances: 2, vars: { GREETING: 'hi' } })));
      } finally {
        delete process.env.SLIPWAY_TEST_LEAK;
      }
      const { dir } = await rt.prepare(h.ref(1));
      for (const i of instances) {
        const a = await getJson(i.port);
        assert.equal(a?.release, 'v1');
        assert.equal(a?.env, 'staging');
        assert.equal(a?.digest, h.digest);
        assert.equal(a?.instance, i.id);
        assert.equal(a?.port, String(i.port));
        assert.equal(a?.cwd, dir);
        assert.equal(a?.data, join(h.sandbox.dir, 'data', 'staging'));
        assert.equal(a?.leak, null, 'the control plane environment does not reach apps');
        // The release dir is read-only (by mode, and to the sandboxed app also when Slipway is root);
        // TMPDIR and the data dir are writable.
        assert.equal(statSync(dir).mode & 0o777, 0o555);
        const w = await getJson(i.port, '/write');
        assert.equal(w?.cwd, false);
        assert.equal(w?.tmp, true);
        assert.equal(w?.data, true);
      }
      // Time to healthy is reported, measured from the start of the instance.
      const healthy = events.filter((e) => e.kind === 'instance.healthy');
      assert.equal(healthy.length, 2);
      for (const e of healthy) assert.ok(e.kind === 'instance.healthy' && e.afterMs > 0);
      // Each instance logs to its own file, one timestamped line per record.
      for (const i of instances) {
        assert.equal(i.log, join(h.home, 'logs', 'staging', `${i.id}.log`));
        assert.match(readFileSync(i.log, 'utf8'), new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z out listening on ${i.port}$`, 'm'));
      }
    }));

  void test('given a running instance, when its app is killed, then it is restarted with growing backoff and the crash is recorded', () =>
    withRuntime(async (rt, events) => {
      const [first] = ok(await rt.start(appSpec(h.ref(2))));
      assert.ok(first !== undefined);
      for (let crash = 1; crash <= 2; crash++) {
        const pid = rt.list('staging', 2)[0]?.pid ?? 0;
        process.kill(pid, 'SIGKILL');
        await waitFor(() => events.filter((e) => e.kind === 'instance.healthy').length === crash + 1, { what: `healthy after crash ${crash}` });
      }
      const crashed = events.filter((e) => e.kind === 'instance.crashed');
      assert.deepEqual(crashed.map((e) => e.kind === 'instance.crashed' && e.signal), ['SIGKILL', 'SIGKILL']);
      const restarted = events.filter((e) => e.kind === 'instance.restarted');
      assert.deepEqual(restarted.map((e) => e.kind === 'instance.restarted' && [e.attempt, e.backoffMs]), [[1, 100], [2, 200]]);
      const now = rt.list('staging', 2)[0];
      assert.equal(now?.restarts, 2);
      assert.equal(now?.state, 'healthy');
      // The instance (its pid is the sandbox's outer process) is a new process that serves.
      assert.notEqual(now?.pid, first.pid);
      assert.equal((await getJson(first.port))?.instance, now?.id);
      const log = readFileSync(first.log, 'utf8');
      assert.match(log, / slipway the app exited \(signal SIGKILL\); restarting in 100 ms$/m);
      assert.match(log, / slipway the app exited \(signal SIGKILL\); restarting in 200 ms$/m);
      const state = JSON.parse(readFileSync(join(h.home, 'run', 'staging', `${first.id}.json`), 'utf8')) as { restarts: number; lastExit: { signal: string } };
      assert.equal(state.restarts, 2);
      assert.equal(state.lastExit.signal, 'SIGKILL');
    }));

  void test('given instances started by a control plane, when it is killed with -9, then they serve throughout and a new one adopts them without restart', async () => {
    const cp = spawn(process.execPath, [join(ROOT, 'dist/test/e2e/runtime-control-plane.js'), JSON.stringify({ home: h.home, digest: h.digest, instances: 2 })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => createInterface({ input: cp.stdout }).once('line', resolve));
    const instances = ok(JSON.parse(line) as StartResult);
    let requests = 0;
    let failures = 0;
    let loading = true;
    const load = (async () => {
      while (loading) {
        for (const i of instances) {
          requests++;
          if ((await getJson(i.port))?.release !== 'v7') failures++;
        }
      }
    })();
    try {
      await sleep(100);
      cp.kill('SIGKILL');
      await new Promise((r) => cp.once('exit', r));
      await sleep(300);
      for (const i of instances) assert.ok(alive(i.pid), 'the app outlived its control plane');
      await withRuntime(async (rt, events) => {
        const adopted = await rt.adopt(instances, (ref) => (ref.release === 7 ? appSpec(ref) : undefined));
        assert.deepEqual(adopted.map((i) => [i.id, i.pid, i.restarts, i.state]).sort(), instances.map((i) => [i.id, i.pid, 0, 'healthy']).sort());
        await sleep(200);
        loading = false;
        await load;
        assert.ok(requests > 20, `only ${requests} requests`);
        assert.equal(failures, 0);
        assert.deepEqual(events, [], 'nothing restarted');
        for (const i of instances) assert.doesNotMatch(readFileSync(i.log, 'utf8'), /restarting/);
        await rt.stop('production', 7);
        for (const i of instances) await waitFor(() => !alive(i.pid), { what: `${i.id} stopped by the new control plane` });
      });
    } finally {
      loading = false;
      await load;
      cp.kill('SIGKILL');
    }
  });

  void test('given a running instance, when its shim is killed, then the loss is reported and stop still ends the app', () =>
    withRuntime(async (rt, events) => {
      const [i] = ok(await rt.start(appSpec(h.ref(6))));
      assert.ok(i !== undefined);
      const { shimPid } = JSON.parse(readFileSync(join(h.home, 'run', 'staging', `${i.id}.json`), 'utf8')) as { shimPid: number };
      process.kill(shimPid, 'SIGKILL');
      await waitFor(() => events.some((e) => e.kind === 'instance.crashed'), { what: 'the lost shim reported as a crash' });
      const crashed = events.find((e) => e.kind === 'instance.crashed');
      assert.ok(crashed?.kind === 'instance.crashed' && crashed.lastLines[0] === "slipway: the instance's shim is gone");
      assert.equal(rt.list('staging', 6)[0]?.state, 'crashed');
      assert.equal((await getJson(i.port))?.instance, i.id, 'the app itself still serves');
      await rt.stop('staging', 6);
      assert.equal(alive(i.pid), false);
      assert.deepEqual(rt.list('staging', 6), []);
    }));

  void test('given an app that ignores SIGTERM, when stopped, then it gets SIGTERM, the grace period, then SIGKILL', () =>
    withRuntime(async (rt, events) => {
      const [stubborn] = ok(await rt.start(appSpec(h.ref(3), { vars: { IGNORE_TERM: '1' }, stopGraceMs: 700 })));
      const [polite] = ok(await rt.start(appSpec(h.ref(4), { stopGraceMs: 5000 })));
      assert.ok(stubborn !== undefined && polite !== undefined);
      const t0 = Date.now();
      await rt.stop('staging', 3);
      const took = Date.now() - t0;
      assert.ok(took >= 700, `SIGKILL came after ${took} ms, before the 700 ms grace`);
      assert.equal(alive(stubborn.pid), false);
      const log = readFileSync(stubborn.log, 'utf8');
      assert.match(log, / out SIGTERM ignored$/m);
      assert.match(log, / slipway the app did not stop within 700 ms: SIGKILL$/m);
      assert.match(log, / slipway stopped \(signal SIGKILL\)$/m);

      await rt.stop('staging', 4);
      const politeLog = readFileSync(polite.log, 'utf8');
      assert.match(politeLog, / out SIGTERM: bye$/m);
      assert.match(politeLog, / slipway stopped \(code 0\)$/m);
      assert.doesNotMatch(politeLog, /SIGKILL/);
      assert.deepEqual(rt.list('staging'), []);
      assert.deepEqual(events.filter((e) => e.kind === 'instance.stopped').map((e) => e.instance.id), [stubborn.id, polite.id]);
      assert.deepEqual(readdirSync(join(h.home, 'run', 'staging')).filter((f) => f.startsWith(`${stubborn.id}.`)), [], 'the state file is removed');
    }));

  void test('given secrets, when the app prints them in any form, then no log or state file holds them', () =>
    withRuntime(async (rt) => {
      const token = 'tok_9f8e7d6c5b4a3f2e1d0c';
      const password = 'correct-horse/battery+staple"quoted"';
      const extra = 'only-in-secretValues-1234';
      const [i] = ok(await rt.start(appSpec(h.ref(5), {
        vars: { API_TOKEN: token, DB_PASSWORD: password, EXTRA: extra, SLIPWAY_MASK_VARS: 'API_TOKEN,DB_PASSWORD', PRINT_SECRETS: '1' },
        secretValues: [extra],
      })));
      assert.ok(i !== undefined);
      await waitFor(() => readFileSync(i.log, 'utf8').split(' end\n').length === 4, { what: 'all three secrets printed' });
      process.kill(i.pid, 'SIGKILL'); // a crash record holds the last lines too
      await waitFor(() => rt.list('staging', 5)[0]?.state === 'healthy' && rt.list('staging', 5)[0]?.restarts === 1, { what: 'the app healthy again after its crash' });
      const log = readFileSync(i.log, 'utf8');
      const masked = MASK.replace(/\*/g, '\\*');
      assert.match(log, new RegExp(` out plain ${masked}$`, 'm'));
      assert.ok((log.match(new RegExp(` out split ${masked} end$`, 'gm'))?.length ?? 0) >= 3, log);
      const files = [...filesUnder(join(h.home, 'logs')), ...filesUnder(join(h.home, 'run'))];
      for (const secret of [token, password, extra]) {
        const forms = [secret, JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64').slice(4, -4)];
        for (const f of files) {
          const text = readFileSync(f, 'utf8');
          for (const form of forms) assert.ok(!text.includes(form), `${f} holds ${form}`);
        }
      }
      // The values never travel in argv: the shim's command line is only node and its script.
      const state = JSON.parse(readFileSync(join(h.home, 'run', 'staging', `${i.id}.json`), 'utf8')) as { shimPid: number };
      const argv = readFileSync(`/proc/${state.shimPid}/cmdline`, 'utf8');
      for (const secret of [token, password, extra]) assert.ok(!argv.includes(secret));
    }));
});
