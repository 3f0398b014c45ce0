import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostSpec } from '../../../core/config/types.js';
import type { HostReport, InstanceSpec, StartResult } from '../../../ports/runtime.js';
import { FakeRuntime, FakeWorld, parseFakeCommand } from '../fake.js';
import { dockerHostsRuntime } from './hosts.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const hosts: HostSpec[] = ['web-1', 'web-2', 'web-3'].map((name) => ({ name, docker: `/s/${name}/docker.sock`, proxy: `/s/${name}/proxy.sock` }));

/** Three hosts, each a fake runtime; `down` makes one unreachable, `failOn` makes its start fail. */
const world = () => {
  const down = new Set<string>();
  const failOn = new Set<string>();
  const started: string[] = [];
  const runtimes = new Map<string, FakeRuntime>();
  const rt = dockerHostsRuntime({
    local: () => Promise.reject(new Error('no local engine in this test')),
    retryMs: 1,
    connect: (h) => {
      if (down.has(h.name)) return Promise.reject(new Error(`${h.name}: connect ECONNREFUSED`));
      const fake = new FakeRuntime({ world: new FakeWorld([DIGEST]), behaviour: (s) => (failOn.has(h.name) ? { kind: 'exit', code: 3, lines: ['boom'] } : parseFakeCommand(s.command)) });
      runtimes.set(h.name, fake);
      const start = fake.start.bind(fake);
      fake.start = (spec: InstanceSpec): Promise<StartResult> => {
        started.push(h.name);
        return start(spec);
      };
      return Promise.resolve({ runtime: fake, down: () => Promise.resolve(down.has(h.name) ? `${h.name} does not answer` : null) });
    },
  });
  return { rt, down, failOn, started, runtimes };
};

const spec = (over: Partial<InstanceSpec> = {}): InstanceSpec => ({
  env: 'production', release: 2, digest: DIGEST, command: 'serve', instances: 2, vars: {},
  health: { path: '/healthz', intervalMs: 10, timeoutMs: 100, startTimeoutMs: 60 }, stopGraceMs: 100, hosts, onHostDown: 'rollback', ...over,
});
const trail = (reports: HostReport[]): string[] => reports.map((r) => `${r.host} ${r.state}`);

test('a start goes host by host: the first host healthy before the second is touched; instances per host, each named by its host', async () => {
  const w = world();
  const reports: HostReport[] = [];
  const r = await w.rt.start(spec(), (x) => reports.push(x));
  assert.ok(r.ok);
  assert.deepEqual(trail(reports), ['web-1 starting', 'web-1 healthy', 'web-2 starting', 'web-2 healthy', 'web-3 starting', 'web-3 healthy']);
  assert.deepEqual(w.started, ['web-1', 'web-2', 'web-3']);
  assert.equal(r.instances.length, 6);
  assert.equal(w.rt.list('production', 2).length, 6);
  await w.rt.close({ stopInstances: true });
});

test('a release that fails on the first host never touches another; one failing on the second stops the first again', async () => {
  const w = world();
  const reports: HostReport[] = [];
  const first = await w.rt.start(spec({ command: 'exit 3 boom' }), (x) => reports.push(x));
  assert.ok(!first.ok);
  assert.match(first.message, /^on host web-1: /);
  assert.deepEqual(trail(reports), ['web-1 starting', 'web-1 failed']);
  assert.deepEqual(w.started, ['web-1']);
  reports.length = 0;
  w.failOn.add('web-2');
  const second = await w.rt.start(spec({ release: 3 }), (x) => reports.push(x));
  assert.ok(!second.ok);
  assert.match(second.message, /^on host web-2: .*; stopped again on web-1$/);
  assert.deepEqual(trail(reports), ['web-1 starting', 'web-1 healthy', 'web-2 starting', 'web-2 failed', 'web-1 stopped']);
  assert.deepEqual(w.rt.list('production', 3), []);
  await w.rt.close({ stopInstances: true });
});

test('on_host_down: rollback fails at the host that is down, naming it; skip leaves it out; wait waits, bounded', async () => {
  const w = world();
  w.down.add('web-2');
  const reports: HostReport[] = [];
  const rolled = await w.rt.start(spec(), (x) => reports.push(x));
  assert.ok(!rolled.ok);
  assert.match(rolled.message, /^host web-2 cannot be reached \(on_host_down: rollback\): web-2: connect ECONNREFUSED; stopped again on web-1$/);
  assert.deepEqual(trail(reports), ['web-1 starting', 'web-1 healthy', 'web-2 starting', 'web-2 down', 'web-1 stopped']);
  assert.deepEqual(w.rt.list('production'), []);

  reports.length = 0;
  const skipped = await w.rt.start(spec({ release: 3, onHostDown: 'skip' }), (x) => reports.push(x));
  assert.ok(skipped.ok);
  assert.deepEqual(trail(reports), ['web-1 starting', 'web-1 healthy', 'web-2 starting', 'web-2 down', 'web-2 skipped', 'web-3 starting', 'web-3 healthy']);
  assert.deepEqual([...new Set(skipped.instances.map((i) => i.release))], [3]);
  // Stopping a release leaves a host that is down alone, and does not fail for it.
  await w.rt.stop('production', 3);

  reports.length = 0;
  const gaveUp = await w.rt.start(spec({ release: 4, onHostDown: 'wait' }), (x) => reports.push(x));
  assert.ok(!gaveUp.ok);
  assert.match(gaveUp.message, /^host web-2 cannot be reached \(on_host_down: wait\)/);
  assert.deepEqual(trail(reports), ['web-1 starting', 'web-1 healthy', 'web-2 starting', 'web-2 waiting', 'web-2 down', 'web-1 stopped']);

  reports.length = 0;
  setTimeout(() => w.down.delete('web-2'), 10);
  const waited = await w.rt.start(spec({ release: 5, onHostDown: 'wait', health: { path: '/healthz', intervalMs: 10, timeoutMs: 100, startTimeoutMs: 5000 } }), (x) => reports.push(x));
  assert.ok(waited.ok);
  assert.deepEqual(trail(reports), ['web-1 starting', 'web-1 healthy', 'web-2 starting', 'web-2 waiting', 'web-2 healthy', 'web-3 starting', 'web-3 healthy']);
  await w.rt.close({ stopInstances: true });
});

test('every host down under skip: the start fails, saying so', async () => {
  const w = world();
  for (const h of hosts) w.down.add(h.name);
  const r = await w.rt.start(spec({ onHostDown: 'skip' }));
  assert.ok(!r.ok);
  assert.match(r.message, /^no host could be reached \(skipped: web-1, web-2, web-3\)$/);
});
