// New process to healthy (SPEC §7, §11): the example app started by the process runtime (shim,
// masked logs, supervision) against `node dist/server.js` started directly, both polled by the
// same adaptive prober, interleaved in one run. Run after `npm run build`: node bench/runtime.mjs [starts]
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { createArtifactService } = await import(join(ROOT, 'dist/src/adapters/artifacts/index.js'));
const { createProcessRuntime } = await import(join(ROOT, 'dist/src/adapters/runtime/process/index.js'));
const { waitHealthy } = await import(join(ROOT, 'dist/src/adapters/runtime/process/health.js'));
const { freePort } = await import(join(ROOT, 'dist/src/adapters/runtime/process/ports.js'));
const { createSandbox } = await import(join(ROOT, 'dist/src/adapters/sandbox/index.js'));

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const HEALTH = { path: '/healthz', intervalMs: 100, timeoutMs: 1000, startTimeoutMs: 10_000 };

/** `node dist/server.js` spawned directly in the release dir, polled until healthy, then stopped. */
async function direct(dir) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['dist/server.js'], { cwd: dir, env: { PATH: process.env.PATH, PORT: String(port) }, stdio: 'ignore' });
  const r = await waitHealthy({ port, ...HEALTH, deadlineMs: HEALTH.startTimeoutMs });
  const ms = performance.now() - t0;
  const exited = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  await exited;
  if (!r.ok) throw new Error(`direct start failed: ${r.message}`);
  return ms;
}

/** One instance started by the runtime; its own `instance.healthy` figure (from spawning the shim). */
async function viaRuntime(runtime, ref, n) {
  let afterMs = null;
  const off = runtime.onEvent((e) => {
    if (e.kind === 'instance.healthy') afterMs = e.afterMs;
  });
  const r = await runtime.start({ ...ref, release: n, command: 'node dist/server.js', instances: 1, vars: {}, health: HEALTH, stopGraceMs: 2000 });
  off();
  if (!r.ok) throw new Error(`runtime start failed: ${r.message}`);
  await runtime.stop(ref.env, n);
  return afterMs;
}

export async function benchRuntime({ starts = 20, log = console.log } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
  try {
    const work = join(home, 'work');
    mkdirSync(work, { recursive: true });
    // The example's build step is a copy of src/ to dist/.
    cpSync(join(ROOT, 'examples/hello-service/src'), join(work, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'examples/hello-service/package.json'), join(work, 'package.json'));
    const artifacts = await createArtifactService({ home });
    const { digest } = await artifacts.storeBuild({
      workdir: work, paths: ['dist', 'package.json'],
      statementInput: {
        name: 'hello-service.tar', commit: '0'.repeat(40), repo: 'file:///bench', pipelineFileDigest: `sha256:${'0'.repeat(64)}`,
        builderId: 'https://slipway.dev/builder/bench', invocationId: 'bench', startedOn: new Date(), finishedOn: new Date(), inputs: [], externalParameters: {},
      },
    });
    // Sandboxed as in production (auto mode: the figure includes bubblewrap's start-up).
    const sandbox = createSandbox({ dir: `${home}-box`, hideDirs: [home], hideFiles: [] });
    const runtime = createProcessRuntime({ home, artifacts, sandbox });
    const ref = { env: 'bench', digest };
    // One release per start would unpack 20 times: reuse one release number, prepared once.
    const { dir } = await runtime.prepare({ ...ref, release: 1 });
    // Warm-up: page cache, first compile of the shim and the app.
    await direct(dir);
    await viaRuntime(runtime, ref, 1);
    const a = [];
    const b = [];
    for (let i = 0; i < starts; i++) {
      a.push(await direct(dir));
      b.push(await viaRuntime(runtime, ref, 1));
    }
    await runtime.close({ stopInstances: true });
    const row = (name, xs) => ({ name, p50: pct(xs, 50), p99: pct(xs, 99), min: Math.min(...xs), max: Math.max(...xs) });
    const rows = [row('node dist/server.js, direct', a), row('process runtime (shim + app)', b)];
    log(`\nnew process → healthy, ${starts} starts each, interleaved (ms)`);
    for (const r of rows) log(`  ${r.name.padEnd(32)} p50 ${r.p50.toFixed(1).padStart(6)}  p99 ${r.p99.toFixed(1).padStart(6)}  (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)})`);
    const ratio = { p50: rows[1].p50 / rows[0].p50, p99: rows[1].p99 / rows[0].p99 };
    log(`  runtime / direct: p50 ×${ratio.p50.toFixed(2)}, p99 ×${ratio.p99.toFixed(2)}`);
    return { starts, direct: rows[0], runtime: rows[1], ratio };
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(`${home}-box`, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchRuntime({ starts: Number(process.argv[2] ?? 20) });
}
