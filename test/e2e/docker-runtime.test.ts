// The docker runtime beyond the contract: secrets reach the app as environment but never a label,
// the image or the masked log; an engine too old for the API version is refused clearly.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { buildImage, createImageResolver, pushImage, recordImage } from '../../src/adapters/image/index.js';
import { ed25519Verifier, loadOrCreateSigner } from '../../src/adapters/signing/ed25519.js';
import { connectEngine, createDockerRuntime } from '../../src/adapters/runtime/docker/index.js';
import { SlipwayError } from '../../src/core/errors.js';
import { dockerUnavailable, startDockerEngine, type DockerEngine } from '../../src/test-support/docker-engine.js';
import { waitFor } from '../../src/test-support/wait.js';
import { appHome, appSpec, type AppHome } from './runtime-helpers.js';

test('an engine that speaks an older Engine API than 1.41 is refused, naming both versions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slw-old-'));
  const socket = join(dir, 'old.sock');
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ Version: '17.03.2-ce', ApiVersion: '1.27', MinAPIVersion: '1.12' }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    await assert.rejects(connectEngine(socket), (e: unknown) => {
      assert.ok(e instanceof SlipwayError);
      assert.equal(e.code, 'refused');
      assert.match(e.message, /speaks Engine API 1\.27; Slipway needs 1\.41 or newer/);
      return true;
    });
    await assert.rejects(connectEngine(join(dir, 'none.sock')), (e: unknown) => e instanceof SlipwayError && e.code === 'unavailable');
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('docker runtime', { skip: dockerUnavailable() ?? false }, () => {
  let engine: DockerEngine;
  let app: AppHome;
  let image: string;
  before(async () => {
    const started = await startDockerEngine();
    if ('unavailable' in started) throw new Error(started.unavailable);
    engine = started;
    app = await appHome();
    const built = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: 0 });
    image = await pushImage({ host: engine.registry, repository: 'slipway/app', scheme: 'http' }, app.home, built);
  });
  after(async () => {
    app?.done();
    await engine?.stop();
  });

  test('given a secret, when the app runs in a container, then it is in its environment only: not a label, not the image, masked in the log', async () => {
    const secret = 'hunter2-very-secret-value';
    const rt = await createDockerRuntime({ home: app.home, socketPath: engine.socket, images: { imageOf: (d) => Promise.resolve(d === app.digest ? image : null) } });
    try {
      const r = await rt.start(appSpec(app.ref(1), { vars: { API_TOKEN: secret, PRINT_SECRETS: '1', SLIPWAY_MASK_VARS: 'API_TOKEN' }, secretValues: [secret] }));
      assert.ok(r.ok, r.ok ? '' : r.message);
      const [i] = r.instances;
      assert.ok(i);
      await waitFor(() => readFileSync(i.log, 'utf8').includes('split'), { what: 'the app to print its secret forms' });
      await waitFor(() => readFileSync(i.log, 'utf8').includes(' end'), { what: 'the split line to end' });
      const log = readFileSync(i.log, 'utf8');
      assert.ok(!log.includes(secret), log);
      assert.ok(!log.includes(Buffer.from(secret).toString('base64')), log);
      assert.match(log, /plain \*\*\*\*/);
      const docker = new Docker({ socketPath: engine.socket });
      const info = await docker.getContainer(`slipway-${i.id}`).inspect();
      assert.ok(!JSON.stringify(info.Config.Labels).includes(secret), 'no secret in a label');
      assert.equal(info.HostConfig.NetworkMode, 'host');
      assert.equal(info.HostConfig.ReadonlyRootfs, true);
      assert.equal(info.Config.Image, image, 'started from the image by digest');
      const img = await docker.getImage(image).inspect();
      assert.ok(!JSON.stringify(img).includes(secret), 'no secret in the image');
      // The secret is where the app needs it (and where docs/security.md says root can see it).
      assert.ok(info.Config.Env.includes(`API_TOKEN=${secret}`));
    } finally {
      await rt.close({ stopInstances: true });
    }
  });

  test('given v1 serving, when v2 exits at once or never becomes healthy, then v1 keeps serving', async () => {
    const rt = await createDockerRuntime({ home: app.home, socketPath: engine.socket, images: { imageOf: (d) => Promise.resolve(d === app.digest ? image : null) } });
    try {
      const one = await rt.start(appSpec(app.ref(1)));
      assert.ok(one.ok);
      const exits = await rt.start(appSpec(app.ref(2), { vars: { EXIT_AT_ONCE: '4' } }));
      assert.ok(!exits.ok);
      assert.equal(exits.reason, 'exited');
      assert.ok(exits.lastLines.some((l) => l.includes('boom: cannot start')), exits.lastLines.join('\n'));
      const silent = await rt.start(appSpec(app.ref(3), { vars: { NO_LISTEN: '1' }, health: { path: '/healthz', intervalMs: 50, timeoutMs: 200, startTimeoutMs: 1000 } }));
      assert.ok(!silent.ok);
      assert.equal(silent.reason, 'timeout');
      assert.deepEqual(rt.list('staging').map((i) => i.release), [1]);
      const docker = new Docker({ socketPath: engine.socket });
      const left = await docker.listContainers({ all: true });
      assert.deepEqual(left.map((c) => c.Labels['dev.slipway.release']), ['1'], 'the failed releases left no container');
    } finally {
      await rt.close({ stopInstances: true });
    }
  });

  test('given an image whose recorded reference does not match its signed provenance, when a release is prepared, then it is refused', async () => {
    const signer = await loadOrCreateSigner(app.home);
    const run = { builderId: 'https://slipway.dev/builder/test', invocationId: 'run-1', startedOn: '2024-05-01T10:00:00Z', finishedOn: '2024-05-01T10:00:05Z' };
    const built = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: 0 });
    recordImage(app.home, signer, built, image, run);
    const images = createImageResolver({ home: app.home, verifier: ed25519Verifier, trustedKeys: [signer.publicKeyPem], scheme: 'http' });
    assert.equal(await images.imageOf(app.digest), image, 'a matching image is accepted');
    assert.equal(await images.imageOf(`sha256:${'0'.repeat(64)}`), null);
    const rt = await createDockerRuntime({ home: app.home, socketPath: engine.socket, images });
    try {
      assert.ok((await rt.prepare(app.ref(1))).dir);
      // Another image of the same artifact (another creation time) swapped into the record.
      const other = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: 1 });
      const otherRef = await pushImage({ host: engine.registry, repository: 'slipway/app', scheme: 'http' }, app.home, other);
      const file = join(app.home, 'images', 'by-artifact', `${app.digest.slice(7)}.json`);
      const record = JSON.parse(readFileSync(file, 'utf8')) as { image: string };
      writeFileSync(file, JSON.stringify({ ...record, image: otherRef }));
      await assert.rejects(rt.prepare(app.ref(2)), (e: unknown) => {
        assert.ok(e instanceof SlipwayError);
        assert.equal(e.code, 'refused');
        assert.match(e.message, /does not match the image/);
        return true;
      });
      // Signed by a key that is not trusted.
      recordImage(app.home, signer, other, otherRef, run);
      const strict = createImageResolver({ home: app.home, verifier: ed25519Verifier, trustedKeys: [], scheme: 'http' });
      await assert.rejects(strict.imageOf(app.digest), /provenance does not verify/);
      assert.deepEqual(rt.list('staging'), []);
    } finally {
      await rt.close({ stopInstances: true });
    }
  });
});
