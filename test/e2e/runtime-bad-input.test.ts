// The process runtime given bad input: escaping archives, apps that cannot start, never get
// healthy or answer errors, and ports taken by someone else. Each fails clearly and leaves nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { handTar, type HandEntry } from '../../src/adapters/archive/test-helpers.js';
import { createProcessRuntime } from '../../src/adapters/runtime/process/index.js';
import { freePort } from '../../src/adapters/runtime/process/ports.js';
import { loadOrCreateSigner } from '../../src/adapters/signing/ed25519.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../src/core/artifact/dsse.js';
import { buildStatement, statementBytes } from '../../src/core/artifact/provenance.js';
import { SlipwayError } from '../../src/core/errors.js';
import type { Runtime, StartResult } from '../../src/ports/runtime.js';
import { alive, appHome, appSpec, statementInput, type AppHome } from './runtime-helpers.js';

let h: AppHome;
before(async () => {
  h = await appHome();
});
after(() => h.done());

async function withRuntime(body: (rt: Runtime) => Promise<void>, pickPort?: () => Promise<number>): Promise<void> {
  const rt = createProcessRuntime({ home: h.home, artifacts: h.artifacts, sandbox: h.sandbox, pickPort });
  try {
    await body(rt);
  } finally {
    await rt.close({ stopInstances: true });
  }
}

/** Stores a hand-made archive as a properly signed artifact, so that only its entries are wrong. */
async function storeHandArchive(entries: HandEntry[]): Promise<string> {
  const bytes = handTar(entries);
  const temp = await h.artifacts.store.tempPath();
  writeFileSync(temp, bytes);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as const;
  await h.artifacts.store.put(temp, { digest, size: bytes.length, files: 1, entries: [] });
  const signer = await loadOrCreateSigner(h.home);
  const statement = buildStatement({ ...statementInput, digest, pipelineFile: 'slipway.yaml' });
  await h.artifacts.store.putProvenance(digest, signer.signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(statement)), { replace: true });
  return digest;
}

/**
 * The start timeout of the apps that never get healthy: long enough that the first probes are
 * made even on a loaded machine (the verdict names the last one), short enough to wait out.
 */
const START_TIMEOUT_MS = 3000;

const failed = (r: StartResult): Exclude<StartResult, { ok: true }> => {
  assert.ok(!r.ok, 'the start should have failed');
  return r;
};

/** The processes the runtime left under `run/` (none after a failed start). */
const runFiles = (env: string): string[] => (existsSync(join(h.home, 'run', env)) ? readdirSync(join(h.home, 'run', env)) : []);

void describe('process runtime: bad input', () => {
  void test('archives whose entries escape the release directory are refused and nothing is unpacked', () =>
    withRuntime(async (rt) => {
      const cases: [HandEntry[], RegExp][] = [
        [[{ name: '../evil.js', data: 'x' }], /"\.\.\/evil\.js" contains a "\.\." segment/],
        [[{ name: '/etc/evil', data: 'x' }], /\/etc\/evil/],
        [[{ name: 'app', typeflag: '5' }, { name: 'app/up', typeflag: '2', linkname: '../../..' }], /"app\/up" is a link that points outside the root/],
        [[{ name: 'abs', typeflag: '2', linkname: '/etc' }], /"abs"/],
      ];
      for (const [n, [entries, message]] of cases.entries()) {
        const digest = await storeHandArchive(entries);
        assert.equal((await h.artifacts.verifyArtifact(digest)).ok, true, 'signed and intact: only the entries are wrong');
        await assert.rejects(rt.prepare({ env: 'evil', release: n + 1, digest }), (e: unknown) => {
          assert.ok(e instanceof SlipwayError, String(e));
          assert.equal(e.code, 'refused');
          assert.match(e.message, /^cannot prepare evil v\d+: /);
          assert.match(e.message, message);
          return true;
        });
      }
      assert.deepEqual(readdirSync(join(h.sandbox.dir, 'releases', 'evil')), []);
      assert.equal(existsSync(join(h.home, 'evil.js')), false);
      assert.equal(existsSync(join(h.sandbox.dir, 'releases', 'evil.js')), false);
    }));

  void test('a command that is not found exits at once: "exited" with code 127 and the shell saying so', () =>
    withRuntime(async (rt) => {
      const r = failed(await rt.start(appSpec(h.ref(1, 'bad'), { command: 'no-such-program --serve' })));
      assert.equal(r.reason, 'exited');
      assert.match(r.message, /"no-such-program --serve" exited with code 127 before answering GET \/healthz/);
      assert.ok(r.lastLines.some((l) => /no-such-program: (command )?not found/.test(l)), r.lastLines.join('\n'));
      assert.deepEqual(rt.list('bad'), []);
      assert.deepEqual(runFiles('bad'), []);
    }));

  void test('an app that never listens times out, is stopped, and the message says where it was probed', () =>
    withRuntime(async (rt) => {
      const r = failed(await rt.start(appSpec(h.ref(2, 'bad'), { instances: 2, vars: { NO_LISTEN: '1' }, health: { path: '/ready', intervalMs: 20, timeoutMs: 100, startTimeoutMs: START_TIMEOUT_MS } })));
      assert.equal(r.reason, 'timeout');
      assert.match(r.message, new RegExp(String.raw`no 2xx answer to GET \/ready on 127\.0\.0\.1:\d+ within the start timeout \(${START_TIMEOUT_MS} ms; last probe: connection refused\); does the app listen on \$PORT\?`));
      assert.deepEqual(rt.list('bad'), []);
      assert.deepEqual(runFiles('bad'), []);
      const logs = readdirSync(join(h.home, 'logs', 'bad')).map((f) => readFileSync(join(h.home, 'logs', 'bad', f), 'utf8')).join('');
      assert.match(logs, /SIGTERM: stopping the app/);
    }));

  void test('an app whose health check answers 503 is "unhealthy", naming the status', () =>
    withRuntime(async (rt) => {
      const r = failed(await rt.start(appSpec(h.ref(3, 'bad'), { vars: { HEALTH_STATUS: '503' }, health: { path: '/healthz', intervalMs: 20, timeoutMs: 100, startTimeoutMs: START_TIMEOUT_MS } })));
      assert.equal(r.reason, 'unhealthy');
      assert.match(r.message, new RegExp(String.raw`GET \/healthz answered 503, not 2xx, until the start timeout \(${START_TIMEOUT_MS} ms\)`));
      assert.ok(r.lastLines.some((l) => l.startsWith('listening on')), r.lastLines.join('\n'));
      assert.deepEqual(rt.list('bad'), []);
    }));

  void test('a port taken between the pick and the bind is retried on another port', async () => {
    const taken = await occupy();
    let picks = 0;
    try {
      await withRuntime(async (rt) => {
        const r = await rt.start(appSpec(h.ref(4, 'bad')));
        assert.ok(r.ok, r.ok ? '' : r.message);
        assert.equal(picks, 2);
        assert.notEqual(r.instances[0]?.port, taken.port);
        const logs = readdirSync(join(h.home, 'logs', 'bad')).map((f) => readFileSync(join(h.home, 'logs', 'bad', f), 'utf8')).join('');
        assert.match(logs, new RegExp(`EADDRINUSE.*${taken.port}`));
      }, () => (++picks === 1 ? Promise.resolve(taken.port) : freePort()));
    } finally {
      taken.server.close();
    }
  });

  void test('the same port picked twice for parallel instances is not given to both', async () => {
    const port = await freePort();
    let picks = 0;
    await withRuntime(async (rt) => {
      const r = await rt.start(appSpec(h.ref(8, 'bad'), { instances: 2 }));
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.equal(new Set(r.instances.map((i) => i.port)).size, 2);
      assert.ok(r.instances.some((i) => i.port === port));
    }, () => (++picks <= 3 ? Promise.resolve(port) : freePort()));
  });

  void test('an app that always binds a taken port fails as "exited" after trying three ports', async () => {
    const taken = await occupy();
    try {
      await withRuntime(async (rt) => {
        const r = failed(await rt.start(appSpec(h.ref(5, 'bad'), { vars: { FIXED_PORT: String(taken.port) } })));
        assert.equal(r.reason, 'exited');
        assert.match(r.message, /exited with code 1 .*; port \d+ was in use, and so were the 2 before it/);
        assert.ok(r.lastLines.some((l) => l.includes('EADDRINUSE')), r.lastLines.join('\n'));
        assert.deepEqual(rt.list('bad'), []);
        assert.deepEqual(runFiles('bad'), []);
      });
    } finally {
      taken.server.close();
    }
  });

  void test('a digest that is not stored cannot start: prepare says which', () =>
    withRuntime(async (rt) => {
      const digest = `sha256:${'e'.repeat(64)}`;
      await assert.rejects(rt.start(appSpec({ env: 'bad', release: 6, digest })), (e: unknown) => e instanceof SlipwayError && e.code === 'not_found' && e.message.includes('eeeeeee'));
      await assert.rejects(rt.start(appSpec(h.ref(6, 'bad'), { command: ' ', instances: -1 })), /invalid instance spec for bad v6: command is empty; instances must be 0\.\.64/);
    }));

  void test('adopt ignores records whose shim is gone, whose id is malformed, or that name another process', () =>
    withRuntime(async (rt) => {
      const r = await rt.start(appSpec(h.ref(7, 'bad')));
      assert.ok(r.ok);
      const real = r.instances[0];
      assert.ok(real !== undefined && alive(real.pid));
      const next = createProcessRuntime({ home: h.home, artifacts: h.artifacts, sandbox: h.sandbox });
      try {
        const spec = () => appSpec(h.ref(7, 'bad'));
        assert.deepEqual(await next.adopt([{ ...real, id: '../../etc/passwd' }], spec), []);
        assert.deepEqual(await next.adopt([{ ...real, id: 'bad-v7-1-000000' }], spec), []);
        const state = join(h.home, 'run', 'bad', `${real.id}.json`);
        const saved = readFileSync(state, 'utf8');
        assert.match(saved, /"armed":true/, 'start returns once the shim is armed: it writes nothing more while the app runs');
        // A state file naming a live process that is not a shim (pid reuse) is not adopted.
        writeFileSync(state, saved.replace(/"shimPid":\d+/, `"shimPid":${process.pid}`));
        assert.deepEqual(await next.adopt([real], spec), []);
        writeFileSync(state, '{ torn');
        assert.deepEqual(await next.adopt([real], spec), []);
        writeFileSync(state, saved);
        assert.equal((await next.adopt([real], spec)).length, 1);
      } finally {
        await next.close({ stopInstances: true });
      }
    }));
});

/** A loopback port held by a listening server of the test. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, server };
}
