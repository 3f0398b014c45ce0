// Build once, as an image (issue 14.1): the image of an artifact is made without `docker build`,
// its digest is the same on every build of the same artifact, it is pushed to a real registry by
// digest, and a real engine pulls it by digest and runs the app in it on the host network.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { buildImage, fetchManifest, pushImage } from '../../src/adapters/image/index.js';
import { SlipwayError } from '../../src/core/errors.js';
import { parseImageRef } from '../../src/core/image/oci.js';
import { dockerUnavailable, freeLoopbackPort, startDockerEngine, startRegistry, type DockerEngine } from '../../src/test-support/docker-engine.js';
import { waitFor } from '../../src/test-support/wait.js';
import { appHome, getJson, type AppHome } from './runtime-helpers.js';

const unavailable = dockerUnavailable();
const COMMIT_TIME = 1714557600;

describe('OCI images of artifacts', { skip: unavailable ?? false }, () => {
  let engine: DockerEngine;
  let app: AppHome;
  before(async () => {
    const started = await startDockerEngine();
    if ('unavailable' in started) throw new Error(started.unavailable);
    engine = started;
    app = await appHome();
  });
  after(async () => {
    app?.done();
    await engine?.stop();
  });

  test('given one artifact, when its image is built in two homes, then the image digests are the same', async () => {
    const other = mkdtempSync(join(tmpdir(), 'slipway-img-'));
    try {
      const first = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: COMMIT_TIME });
      const again = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: COMMIT_TIME });
      assert.equal(again.baseCached, true, 'the base layer is built once and cached');
      // A second home: nothing cached.
      const copy = await buildImage({ home: other, artifacts: app.artifacts, artifact: app.digest, created: COMMIT_TIME });
      assert.equal(copy.baseCached, false);
      assert.equal(first.digest, again.digest);
      assert.equal(first.digest, copy.digest);
      assert.deepEqual(copy.layers, first.layers);
      const later = await buildImage({ home: other, artifacts: app.artifacts, artifact: app.digest, created: COMMIT_TIME + 1 });
      assert.notEqual(later.digest, first.digest, 'the creation time (the commit time) is part of the image');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('given a built image, when it is pushed, then the registry serves it by digest and the engine runs it from there', async () => {
    const image = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: COMMIT_TIME });
    const ref = await pushImage({ host: engine.registry, repository: 'slipway/app', scheme: 'http' }, app.home, image);
    assert.equal(ref, `${engine.registry}/slipway/app@${image.digest}`);
    assert.deepEqual(await fetchManifest(ref, 'http'), image.manifest);
    // Pushing again sends no blob twice and gives the same reference.
    assert.equal(await pushImage({ host: engine.registry, repository: 'slipway/app', scheme: 'http' }, app.home, image), ref);

    const docker = new Docker({ socketPath: engine.socket });
    await new Promise<void>((resolve, reject) => {
      void docker.pull(ref, (e: Error | null, stream: NodeJS.ReadableStream) => {
        if (e) return reject(e);
        docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()));
      });
    });
    const port = await freeLoopbackPort();
    const c = await docker.createContainer({
      Image: ref, Cmd: ['/bin/sh', '-c', 'exec node app/server.mjs'], Env: [`PORT=${port}`, 'SLIPWAY_RELEASE=v1'],
      HostConfig: { NetworkMode: 'host', AutoRemove: false },
    });
    try {
      await c.start();
      const answer = await waitFor(() => getJson(port), { what: `the app in the container to answer on ${port}` });
      assert.equal(answer.release, 'v1');
      assert.equal(answer.cwd, '/app');
      const info = await c.inspect();
      assert.equal(info.Image, (await docker.getImage(ref).inspect()).Id);
    } finally {
      await c.remove({ force: true });
    }
  });

  test('given a registry that is down, when an image is pushed, then the push fails naming the registry', async () => {
    const image = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: COMMIT_TIME });
    const port = await freeLoopbackPort();
    await assert.rejects(pushImage({ host: `127.0.0.1:${port}`, repository: 'slipway/app', scheme: 'http' }, app.home, image), (e: unknown) => {
      assert.ok(e instanceof SlipwayError);
      assert.equal(e.code, 'unavailable');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
    await assert.rejects(pushImage({ host: '10.0.0.1:5000', repository: 'slipway/app', scheme: 'http' }, app.home, image), /plain HTTP is allowed only to a registry on 127\.0\.0\.1/);
    await assert.rejects(pushImage({ host: engine.registry, repository: 'Slipway/App', scheme: 'http' }, app.home, image), /lowercase/);
  });

  test('given a registry that refuses pushes, when an image is pushed, then the push fails with its answer', async () => {
    const ro = await startRegistry({ readOnly: true });
    try {
      const image = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: COMMIT_TIME });
      await assert.rejects(pushImage({ host: ro.host, repository: 'slipway/app', scheme: 'http' }, app.home, image), (e: unknown) => {
        assert.ok(e instanceof SlipwayError);
        assert.equal(e.code, 'failed');
        assert.match(e.message, /answered 405/);
        return true;
      });
    } finally {
      await ro.stop();
    }
  });

  test('a reference that names a tag or the wrong digest is refused', async () => {
    assert.equal(parseImageRef(`${engine.registry}/slipway/app:latest`), null);
    const image = await buildImage({ home: app.home, artifacts: app.artifacts, artifact: app.digest, created: COMMIT_TIME });
    const ref = await pushImage({ host: engine.registry, repository: 'slipway/app', scheme: 'http' }, app.home, image);
    await assert.rejects(fetchManifest(ref.replace(/@sha256:.*/, `@sha256:${'1'.repeat(64)}`), 'http'), (e: unknown) => e instanceof SlipwayError && e.code === 'not_found');
  });
});
