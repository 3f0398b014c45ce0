// Containers against processes (issue 14.5), in one run: the image build (cold, then with the base
// layer cached) and its size against the artifact's; start-to-healthy and stop of one instance of
// the same artifact by the docker runtime and by the process runtime, interleaved. Needs root and
// Debian's docker.io and docker-registry (it starts its own engine and registry).
// Run after `npm run build`: node bench/containers.mjs [rounds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildImage, pushImage } = await import(join(ROOT, 'dist/src/adapters/image/index.js'));
const { createDockerRuntime } = await import(join(ROOT, 'dist/src/adapters/runtime/docker/index.js'));
const { createProcessRuntime } = await import(join(ROOT, 'dist/src/adapters/runtime/process/index.js'));
const { dockerUnavailable, startDockerEngine } = await import(join(ROOT, 'dist/src/test-support/docker-engine.js'));
const { appHome, appSpec } = await import(join(ROOT, 'dist/test/e2e/runtime-helpers.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchContainers({ rounds = 5 } = {}) {
  const why = dockerUnavailable();
  if (why !== null) {
    console.log(`containers: skipped (${why})`);
    return { skipped: why };
  }
  const engine = await startDockerEngine();
  const app = await appHome();
  const cold = mkdtempSync(join(tmpdir(), 'slipway-bench-img-'));
  try {
    let t = performance.now();
    await buildImage({ home: cold, artifacts: app.artifacts, artifact: app.digest, created: 0 });
    const coldMs = performance.now() - t;
    t = performance.now();
    const image = await buildImage({ home: cold, artifacts: app.artifacts, artifact: app.digest, created: 0 });
    const warmMs = performance.now() - t;
    const artifactBytes = (await app.artifacts.inspect(app.digest)).size;
    const [base, layer] = image.layers;
    const ref = await pushImage({ host: engine.registry, repository: 'slipway/bench', scheme: 'http' }, cold, image);
    const docker = await createDockerRuntime({ home: app.home, socketPath: engine.socket, images: { imageOf: (d) => Promise.resolve(d === app.digest ? ref : null) } });
    const proc = createProcessRuntime({ home: app.home, artifacts: app.artifacts, sandbox: app.sandbox });
    const times = { process: { start: [], stop: [] }, docker: { start: [], stop: [] } };
    let release = 1;
    for (let i = 0; i < rounds; i++) {
      for (const [name, rt] of [['process', proc], ['docker', docker]]) {
        const ref1 = app.ref(release++);
        await rt.prepare(ref1);
        let s = performance.now();
        const r = await rt.start(appSpec(ref1));
        if (!r.ok) throw new Error(`${name}: ${r.message}`);
        times[name].start.push(performance.now() - s);
        s = performance.now();
        await rt.stop(ref1.env, ref1.release);
        times[name].stop.push(performance.now() - s);
      }
    }
    await docker.close({ stopInstances: true });
    await proc.close({ stopInstances: true });
    const out = {
      imageBuildColdMs: Math.round(coldMs), imageBuildWarmMs: Math.round(warmMs), artifactBytes, baseLayerBytes: base.size, appLayerBytes: layer.size,
      startMs: { process: Math.round(median(times.process.start)), docker: Math.round(median(times.docker.start)) },
      stopMs: { process: Math.round(median(times.process.stop)), docker: Math.round(median(times.docker.stop)) },
    };
    out.startRatio = +(out.startMs.docker / out.startMs.process).toFixed(2);
    console.log(`containers: image build ${out.imageBuildColdMs} ms cold, ${out.imageBuildWarmMs} ms with the base cached; artifact ${artifactBytes} B, app layer ${layer.size} B, base layer ${base.size} B`);
    console.log(`containers: start to healthy (median of ${rounds}) process ${out.startMs.process} ms, docker ${out.startMs.docker} ms (x${out.startRatio}); stop process ${out.stopMs.process} ms, docker ${out.stopMs.docker} ms`);
    return out;
  } finally {
    rmSync(cold, { recursive: true, force: true });
    app.done();
    await engine.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchContainers({ rounds: Number(process.argv[2] ?? 5) });
