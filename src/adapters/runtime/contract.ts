// The contract every runtime adapter passes (process now, Docker later, and the fake the engine's
// tests use): call `runtimeContract(name, makeFixture)` from the adapter's test file.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SlipwayError } from '../../core/errors.js';
import type { InstanceInfo, InstanceSpec, ReleaseRef, Runtime, RuntimeEvent } from '../../ports/runtime.js';
import { waitFor } from '../../test-support/wait.js';

/** What an adapter's test gives the contract: a world with one stored artifact, and ways to poke it. */
export interface RuntimeFixture {
  /** A runtime over the fixture's world; each call is a new control plane over the same world (as after a restart). */
  open(): Runtime | Promise<Runtime>;
  /** A stored, valid artifact. */
  digest: string;
  /** A well-formed digest of no stored artifact. */
  missingDigest: string;
  commands: {
    /** Answers 2xx on /healthz at $PORT, and tells its SLIPWAY_RELEASE (see `ask`). */
    serve: string;
    /** Prints "boom" and exits with code 3 at once. */
    exitAtOnce: string;
    /** Runs but never answers. */
    neverHealthy: string;
  };
  /** Kills an instance's app from outside (a crash). */
  crash(instance: InstanceInfo): void | Promise<void>;
  /** What the instance at its port says its SLIPWAY_RELEASE is; null when nothing answers. */
  ask(instance: InstanceInfo): Promise<string | null>;
  dispose(): void | Promise<void>;
}


export function runtimeContract(label: string, makeFixture: () => RuntimeFixture | Promise<RuntimeFixture>): void {
  const spec = (f: RuntimeFixture, ref: ReleaseRef, over: Partial<InstanceSpec> = {}): InstanceSpec => ({
    ...ref,
    command: f.commands.serve,
    instances: 1,
    vars: {},
    health: { path: '/healthz', intervalMs: 50, timeoutMs: 1000, startTimeoutMs: 10_000 },
    stopGraceMs: 2000,
    ...over,
  });

  /** Runs `body` with a fixture, a runtime and the events it emitted; stops everything after. */
  const withRuntime = (name: string, body: (f: RuntimeFixture, rt: Runtime, events: RuntimeEvent[]) => Promise<void>): void => {
    test(name, async () => {
      const f = await makeFixture();
      const rt = await f.open();
      const events: RuntimeEvent[] = [];
      rt.onEvent((e) => events.push(e));
      try {
        await body(f, rt, events);
      } finally {
        await rt.close({ stopInstances: true });
        await f.dispose();
      }
    });
  };
  const kinds = (events: RuntimeEvent[], id: string): string[] => events.filter((e) => e.instance.id === id).map((e) => e.kind);

  describe(`Runtime contract: ${label}`, () => {
    withRuntime('prepare is idempotent and gives each release its own directory', async (f, rt) => {
      const a = await rt.prepare({ env: 'staging', release: 1, digest: f.digest });
      assert.deepEqual(await rt.prepare({ env: 'staging', release: 1, digest: f.digest }), a);
      const b = await rt.prepare({ env: 'staging', release: 2, digest: f.digest });
      assert.notEqual(b.dir, a.dir);
    });

    withRuntime('prepare refuses a digest that is not stored, naming it', async (f, rt) => {
      await assert.rejects(rt.prepare({ env: 'staging', release: 1, digest: f.missingDigest }), (e: unknown) => {
        assert.ok(e instanceof SlipwayError);
        assert.equal(e.code, 'not_found');
        assert.match(e.message, new RegExp(f.missingDigest.slice(7, 19)));
        return true;
      });
    });

    withRuntime('start runs N healthy instances on distinct ports with the release in their environment', async (f, rt, events) => {
      const ref = { env: 'staging', release: 1, digest: f.digest };
      const r = await rt.start(spec(f, ref, { instances: 2 }));
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.equal(r.instances.length, 2);
      assert.notEqual(r.instances[0]?.port, r.instances[1]?.port);
      assert.notEqual(r.instances[0]?.id, r.instances[1]?.id);
      for (const i of r.instances) {
        assert.equal(i.state, 'healthy');
        assert.equal(i.digest, f.digest);
        assert.equal(await f.ask(i), 'v1');
        assert.deepEqual(kinds(events, i.id), ['instance.started', 'instance.healthy']);
      }
      const healthy = events.find((e) => e.kind === 'instance.healthy');
      assert.ok(healthy?.kind === 'instance.healthy' && healthy.afterMs >= 0);
      assert.deepEqual(rt.list('staging').map((i) => i.id).sort(), r.instances.map((i) => i.id).sort());
      assert.deepEqual(rt.list('production'), []);
    });

    withRuntime('a second release starts beside the first; stopping it leaves the first serving', async (f, rt, events) => {
      const one = await rt.start(spec(f, { env: 'staging', release: 1, digest: f.digest }));
      const two = await rt.start(spec(f, { env: 'staging', release: 2, digest: f.digest }));
      assert.ok(one.ok && two.ok);
      assert.equal(rt.list('staging').length, 2);
      assert.deepEqual(rt.list('staging', 2).map((i) => i.id), two.instances.map((i) => i.id));
      assert.equal(await f.ask(two.instances[0] as InstanceInfo), 'v2');
      await rt.stop('staging', 2);
      assert.deepEqual(rt.list('staging').map((i) => i.id), one.instances.map((i) => i.id));
      assert.equal(await f.ask(one.instances[0] as InstanceInfo), 'v1');
      assert.equal(await f.ask(two.instances[0] as InstanceInfo), null);
      assert.ok(events.some((e) => e.kind === 'instance.stopped' && e.instance.release === 2));
      assert.ok(!events.some((e) => e.kind === 'instance.stopped' && e.instance.release === 1));
    });

    withRuntime('a crashed instance is restarted and the crash is reported', async (f, rt, events) => {
      const r = await rt.start(spec(f, { env: 'staging', release: 1, digest: f.digest }));
      assert.ok(r.ok);
      const before = r.instances[0] as InstanceInfo;
      await f.crash(before);
      await waitFor(() => kinds(events, before.id).filter((k) => k === 'instance.healthy').length === 2, { what: 'the crashed instance healthy again' });
      assert.deepEqual(kinds(events, before.id), ['instance.started', 'instance.healthy', 'instance.crashed', 'instance.restarted', 'instance.healthy']);
      const restarted = events.find((e) => e.kind === 'instance.restarted');
      assert.ok(restarted?.kind === 'instance.restarted' && restarted.attempt === 1 && restarted.backoffMs > 0);
      const [after] = rt.list('staging');
      assert.equal(after?.restarts, 1);
      assert.equal(after?.state, 'healthy');
      assert.equal(after?.port, before.port);
      assert.notEqual(after?.pid, before.pid);
      assert.equal(await f.ask(after), 'v1');
    });

    withRuntime('an app that exits at once fails the start as "exited", with its last lines', async (f, rt) => {
      const r = await rt.start(spec(f, { env: 'staging', release: 1, digest: f.digest }, { command: f.commands.exitAtOnce, instances: 2 }));
      assert.equal(r.ok, false);
      assert.ok(!r.ok);
      assert.equal(r.reason, 'exited');
      assert.match(r.message, /code 3/);
      assert.ok(r.lastLines.some((l) => l.includes('boom')), r.lastLines.join('\n'));
      assert.deepEqual(rt.list('staging'), []);
    });

    withRuntime('an app that never answers fails the start as "timeout" and is stopped', async (f, rt, events) => {
      const r = await rt.start(spec(f, { env: 'staging', release: 1, digest: f.digest }, {
        command: f.commands.neverHealthy, health: { path: '/healthz', intervalMs: 50, timeoutMs: 100, startTimeoutMs: 400 },
      }));
      assert.ok(!r.ok);
      assert.equal(r.reason, 'timeout');
      assert.match(r.message, /\/healthz/);
      assert.deepEqual(rt.list('staging'), []);
      assert.ok(events.some((e) => e.kind === 'instance.stopped'));
    });

    withRuntime('a new control plane adopts live instances without restarting them', async (f, rt) => {
      const ref = { env: 'staging', release: 1, digest: f.digest };
      const r = await rt.start(spec(f, ref, { instances: 2 }));
      assert.ok(r.ok);
      await rt.close({ stopInstances: false });
      for (const i of r.instances) assert.equal(await f.ask(i), 'v1');

      const next = await f.open();
      const events: RuntimeEvent[] = [];
      next.onEvent((e) => events.push(e));
      try {
        assert.deepEqual(await next.adopt(r.instances, () => undefined), [], 'no spec, no adoption');
        const adopted = await next.adopt(r.instances, (x) => (x.release === 1 ? spec(f, ref) : undefined));
        assert.deepEqual(adopted.map((i) => [i.id, i.pid, i.port, i.restarts]).sort(), r.instances.map((i) => [i.id, i.pid, i.port, 0]).sort());
        assert.ok(adopted.every((i) => i.state === 'healthy'));
        assert.equal(next.list('staging').length, 2);
        assert.deepEqual(events.filter((e) => e.kind !== 'instance.healthy'), []);
        // Supervision carries on under the new control plane.
        await f.crash(adopted[0] as InstanceInfo);
        await waitFor(() => events.some((e) => e.kind === 'instance.restarted'), { what: 'the adopted instance restarted after its crash' });
        await next.stop('staging', 1);
        assert.deepEqual(next.list('staging'), []);
        for (const i of r.instances) await waitFor(async () => (await f.ask(i)) === null, { what: `${i.id} to stop answering` });
        assert.deepEqual(await next.adopt(r.instances, () => spec(f, ref)), [], 'stopped instances are not adopted');
      } finally {
        await next.close({ stopInstances: true });
      }
    });

    withRuntime('a new control plane sweeps the live instances it did not adopt, and only those', async (f, rt) => {
      const ref = { env: 'staging', release: 1, digest: f.digest };
      const r = await rt.start(spec(f, ref, { instances: 2 }));
      assert.ok(r.ok);
      await rt.close({ stopInstances: false });
      const [kept, orphan] = r.instances as [InstanceInfo, InstanceInfo];

      const next = await f.open();
      try {
        const adopted = await next.adopt([kept], () => spec(f, ref));
        assert.deepEqual(adopted.map((i) => i.id), [kept.id]);
        const swept = await next.sweep();
        assert.deepEqual(swept.map((s) => [s.id, s.env]), [[orphan.id, 'staging']]);
        assert.ok((swept[0]?.pids.length ?? 0) > 0, 'the orphan had live processes');
        await waitFor(async () => (await f.ask(orphan)) === null, { what: `the orphan ${orphan.id} to stop answering` });
        assert.equal(await f.ask(kept), 'v1', 'the adopted instance still serves');
        assert.deepEqual(next.list('staging').map((i) => i.id), [kept.id]);
        assert.deepEqual(await next.sweep(), [], 'a second sweep finds nothing');
      } finally {
        await next.close({ stopInstances: true });
      }
    });
  });
}
