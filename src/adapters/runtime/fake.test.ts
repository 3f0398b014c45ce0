import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runtimeContract } from './contract.js';
import { FakeWorld, createFakeRuntime, parseFakeCommand } from './fake.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

runtimeContract('fake', () => {
  const world = new FakeWorld([DIGEST]);
  return {
    open: () => createFakeRuntime({ world }),
    digest: DIGEST,
    missingDigest: `sha256:${'0'.repeat(64)}`,
    commands: { serve: 'serve', exitAtOnce: 'exit 3 boom', neverHealthy: 'hang' },
    crash: (i) => world.crash(i.id),
    ask: (i) => Promise.resolve(world.ask(i.port)),
    dispose: () => undefined,
  };
});

void describe('fake runtime', () => {
  void test('command language', () => {
    assert.deepEqual(parseFakeCommand('exit 3 boom'), { kind: 'exit', code: 3, lines: ['boom'] });
    assert.deepEqual(parseFakeCommand('exit 0'), { kind: 'exit', code: 0, lines: [] });
    assert.deepEqual(parseFakeCommand(' hang '), { kind: 'hang' });
    assert.deepEqual(parseFakeCommand('node dist/server.js'), { kind: 'serve' });
  });

  void test('instances get the spec vars plus the release metadata', async () => {
    const world = new FakeWorld([DIGEST]);
    const rt = createFakeRuntime({ world });
    const r = await rt.start({
      env: 'production', release: 4, digest: DIGEST, command: 'serve', instances: 1, vars: { GREETING: 'hi' },
      health: { path: '/healthz', intervalMs: 50, timeoutMs: 100, startTimeoutMs: 1000 }, stopGraceMs: 10,
    });
    assert.ok(r.ok);
    const vars = world.instances.get(r.instances[0]?.id ?? '')?.vars;
    assert.equal(vars?.GREETING, 'hi');
    assert.equal(vars?.SLIPWAY_RELEASE, 'v4');
    assert.equal(vars?.SLIPWAY_ENV, 'production');
    assert.equal(vars?.SLIPWAY_DIGEST, DIGEST);
    assert.equal(vars?.PORT, String(r.instances[0]?.port));
    await rt.close({ stopInstances: true });
    assert.equal(world.instances.size, 0);
  });
});
