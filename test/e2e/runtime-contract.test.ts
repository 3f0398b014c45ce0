// The runtimes pass the runtime contract with real parts: the process runtime with real shims,
// processes and ports; the docker runtime with a real engine, a real registry and containers
// started from an image built from the same artifact (skipped, with the reason, where no engine
// can start: test/skips.txt).
import { after, test } from 'node:test';
import { runtimeContract } from '../../src/adapters/runtime/contract.js';
import { createDockerRuntime } from '../../src/adapters/runtime/docker/index.js';
import { createProcessRuntime } from '../../src/adapters/runtime/process/index.js';
import { buildImage, pushImage } from '../../src/adapters/image/index.js';
import { dockerUnavailable, startDockerEngine, type DockerEngine } from '../../src/test-support/docker-engine.js';
import { appHome, getJson } from './runtime-helpers.js';

runtimeContract('process', async () => {
  const h = await appHome();
  return {
    open: () => createProcessRuntime({ home: h.home, artifacts: h.artifacts, sandbox: h.sandbox }),
    digest: h.digest,
    missingDigest: `sha256:${'0'.repeat(64)}`,
    commands: {
      serve: 'exec node app/server.mjs',
      exitAtOnce: 'echo boom >&2; exit 3',
      neverHealthy: 'exec sleep 60',
    },
    crash: (i) => void process.kill(i.pid, 'SIGKILL'),
    ask: async (i) => {
      const answer = await getJson(i.port);
      return typeof answer?.release === 'string' ? answer.release : null;
    },
    dispose: () => h.done(),
  };
});

const noEngine = dockerUnavailable();
if (noEngine !== null) {
  test('Runtime contract: docker', { skip: noEngine }, () => undefined);
} else {
  // One engine, one registry and one image for the whole file: every app home stores the same
  // tree, so the same artifact digest, whose image is built and pushed once.
  let world: Promise<{ engine: DockerEngine; digest: string; image: string; done: () => void }> | null = null;
  const shared = (): NonNullable<typeof world> =>
    (world ??= (async () => {
      const started = await startDockerEngine();
      if ('unavailable' in started) throw new Error(started.unavailable);
      const h = await appHome();
      const built = await buildImage({ home: h.home, artifacts: h.artifacts, artifact: h.digest, created: 0 });
      const image = await pushImage({ host: started.registry, repository: 'slipway/contract', scheme: 'http' }, h.home, built);
      return { engine: started, digest: h.digest, image, done: h.done };
    })());
  after(async () => {
    if (world === null) return;
    const w = await world;
    w.done();
    await w.engine.stop();
  });

  runtimeContract('docker', async () => {
    const w = await shared();
    const h = await appHome();
    return {
      open: () => createDockerRuntime({ home: h.home, socketPath: w.engine.socket, images: { imageOf: (d) => Promise.resolve(d === w.digest ? w.image : null) } }),
      digest: h.digest,
      missingDigest: `sha256:${'0'.repeat(64)}`,
      commands: {
        serve: 'exec node app/server.mjs',
        exitAtOnce: 'echo boom >&2; exit 3',
        neverHealthy: 'exec node -e "setInterval(() => {}, 1000)"',
      },
      crash: (i) => void process.kill(i.pid, 'SIGKILL'),
      ask: async (i) => {
        const answer = await getJson(i.port);
        return typeof answer?.release === 'string' ? answer.release : null;
      },
      dispose: () => h.done(),
    };
  });
}
