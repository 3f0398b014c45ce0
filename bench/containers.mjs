// Containers against processes (issue 14.5), in one run, on one private Docker Engine and registry:
// 1. the image build (cold, then with the base layer cached) and its size against the artifact's;
//    start-to-healthy and stop of one instance of the same artifact by the docker runtime and by the
//    process runtime, interleaved;
// 2. deploy, promote and rollback through the whole control plane, of one app whose environments
//    run as processes (staging → production) and as containers (cstaging → cproduction): the same
//    artifact, the same config but the runtime, interleaved, `reps` times each; medians and spread,
//    and the ratio container/process of the medians;
// 3. failed requests (goal 0) under bounded load through Slipway's proxy (keep-alive clients and
//    clients opening a new connection per request) while cstaging deploys a new release and rolls
//    back to the previous one, `cycles` times (the issue's 100: 100 deploys and 100 rollbacks).
// Needs root and Debian's docker.io and docker-registry (it starts its own engine and registry on
// a private socket and data root under a temporary directory, never /var/run/docker.sock).
// Run after `npm run build`: node bench/containers.mjs [--quick] [cycles]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/slipway.js');
const { buildImage, pushImage } = await import(join(ROOT, 'dist/src/adapters/image/index.js'));
const { createDockerRuntime, LABEL } = await import(join(ROOT, 'dist/src/adapters/runtime/docker/index.js'));
const { createProcessRuntime } = await import(join(ROOT, 'dist/src/adapters/runtime/process/index.js'));
const { dockerUnavailable, startDockerEngine } = await import(join(ROOT, 'dist/src/test-support/docker-engine.js'));
const { startLoad } = await import(join(ROOT, 'dist/src/test-support/load.js'));
const { appHome, appSpec } = await import(join(ROOT, 'dist/test/e2e/runtime-helpers.js'));
const { connect } = await import(join(ROOT, 'dist/src/cli/client.js'));
const { sandboxDirOf } = await import(join(ROOT, 'dist/src/home/paths.js'));
const { default: Docker } = await import('dockerode');

/** The quick smoke run's counts (`npm run bench -- containers --quick`). */
export const QUICK_CONTAINERS = { rounds: 3, reps: 3, cycles: 10 };

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const pct = (xs, p) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
/** Median, spread (min, max, p90) and count, in whole milliseconds. */
const stats = (xs) => ({ n: xs.length, median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), p90: Math.round(pct(xs, 90)), max: Math.round(Math.max(...xs)) });
const ratio = (a, b) => +(a / Math.max(1, b)).toFixed(2);

// The app: answers every path with its release number; a graceful stop on SIGTERM.
const APP = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(String(process.env.SLIPWAY_RELEASE)); });
s.keepAliveTimeout = 65000;
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

const git = (cwd, ...args) => spawnSync('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
const cli = (dir, env, args) => new Promise((resolve) => {
  const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (out += d));
  c.on('close', (code) => resolve({ code, out }));
});

/** Waits for a deployment to finish (polling every 10 ms, two minutes at most). */
const waitDone = async (client, id) => {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { deployment, events } = await client.request('GET', `/v1/deployments/${id}`);
    if (deployment.finishedAt) return { deployment, events };
    if (Date.now() > deadline) throw new Error(`deployment ${id} did not finish within two minutes`);
    await sleep(10);
  }
};

/**
 * One operation through the API, timed from the request to its end as seen by the client; throws
 * unless it succeeded (and, for a rollback, unless it was warm: no instance started).
 */
const timed = async (client, what, path, body) => {
  const t = performance.now();
  const answer = await client.request('POST', path, body);
  if (answer.deployment === null || answer.deployment === undefined) throw new Error(`${what}: nothing was deployed (${answer.noop ?? 'no deployment'})`);
  const { deployment: d, events } = await waitDone(client, answer.deployment.id);
  const ms = performance.now() - t;
  if (d.phase !== 'succeeded') throw new Error(`${what} (${d.id}) ${d.phase}: ${d.reason}`);
  if (path === '/v1/rollbacks' && events.some((e) => e.kind === 'deployment.starting')) throw new Error(`${what} (${d.id}) started instances: not a warm rollback`);
  return { ms, id: d.id };
};

/** Part 1: the image against the artifact; one instance's start and stop by each runtime. */
async function imageAndInstances(engine, rounds) {
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
      startMs: { process: stats(times.process.start), docker: stats(times.docker.start) },
      stopMs: { process: stats(times.process.stop), docker: stats(times.docker.stop) },
    };
    out.startRatio = ratio(out.startMs.docker.median, out.startMs.process.median);
    out.stopRatio = ratio(out.stopMs.docker.median, out.stopMs.process.median);
    return out;
  } finally {
    rmSync(cold, { recursive: true, force: true });
    app.done();
  }
}

/** The bench app's repository: four environments, two as processes and two as containers. */
const benchRepo = (registry) => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-cont-'));
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'server.cjs'), APP);
  // Errors only in verification: the bench's own load on a shared machine pushes latency past any
  // fixed bound, and what is measured is the deployment, not the app. Everything but `runtime` is
  // the same in the two pairs of environments.
  const env = (name, runtime, from) => [`  ${name}:`, `    runtime: ${runtime}`, ...(from ? [`    promote_from: ${from}`] : []), '    strategy: blue-green', '    verify: { window: 100ms, interval: 100ms, checks: [error_rate < 1%] }'];
  writeFileSync(join(dir, 'slipway.yaml'), [
    'app: cbench', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]', '  image: true', `  registry: ${registry}/bench/cbench`,
    // `exec`: the app itself, not a shell, is the container's first process and gets SIGTERM.
    'run:', '  command: exec node dist/server.cjs', '  health: { path: /healthz, start_timeout: 30s }', '  stop_grace: 2s',
    'environments:', ...env('staging', 'process'), ...env('production', 'process', 'staging'), ...env('cstaging', 'docker'), ...env('cproduction', 'docker', 'cstaging'), '',
  ].join('\n'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'container bench');
  return dir;
};

const KINDS = { process: { staging: 'staging', production: 'production' }, docker: { staging: 'cstaging', production: 'cproduction' } };

/** Part 2: deploy, promote and rollback of the same app as processes and as containers, interleaved. */
async function pipelineTimes(client, reps, log) {
  const first = {};
  for (const [kind, e] of Object.entries(KINDS)) {
    // The first deploy pulls the image into the engine (containers) or unpacks the release (processes).
    first[kind] = { deployMs: Math.round((await timed(client, `first deploy of ${e.staging}`, '/v1/deployments', { env: e.staging })).ms) };
    first[kind].promoteMs = Math.round((await timed(client, `first promotion to ${e.production}`, '/v1/promotions', { from: e.staging, to: e.production })).ms);
  }
  const times = { process: { deploy: [], promote: [], rollback: [] }, docker: { deploy: [], promote: [], rollback: [] } };
  for (let i = 0; i < reps; i++) {
    // Alternate which kind goes first, so that neither always follows the other's cleanup.
    for (const kind of i % 2 === 0 ? ['process', 'docker'] : ['docker', 'process']) {
      const e = KINDS[kind];
      // --force: the same build again would be a no-op, and the digest a rollback rolled away from is marked bad.
      times[kind].deploy.push((await timed(client, `deploy of ${e.staging}`, '/v1/deployments', { env: e.staging, force: true })).ms);
      times[kind].promote.push((await timed(client, `promotion to ${e.production}`, '/v1/promotions', { from: e.staging, to: e.production, force: true })).ms);
      times[kind].rollback.push((await timed(client, `rollback of ${e.production}`, '/v1/rollbacks', { env: e.production })).ms);
    }
    log(`  … ${i + 1} of ${reps} rounds of deploy, promote and rollback on each runtime`);
  }
  const out = { reps, first };
  for (const op of ['deploy', 'promote', 'rollback']) {
    out[op] = { process: stats(times.process[op]), docker: stats(times.docker[op]) };
    out[op].ratio = ratio(out[op].docker.median, out[op].process.median);
  }
  return out;
}

/** The running containers of the engine that Slipway labelled. */
const slipwayContainers = async (docker) => (await docker.listContainers({ filters: JSON.stringify({ label: [`${LABEL.runtime}=docker`] }) })).length;

/** Part 3: `cycles` deploys and rollbacks of cstaging under bounded load through the proxy. */
async function underLoad(client, engine, cycles, log) {
  const docker = new Docker({ socketPath: engine.socket });
  const env = (await client.request('GET', '/v1/environments')).environments.find((e) => e.env === KINDS.docker.staging);
  const containersBefore = await slipwayContainers(docker);
  // About 300 requests a second at most: two keep-alive clients, a request every 10 ms each, and
  // two that open a new connection every 20 ms.
  const shape = { keepAlive: { clients: 2, everyMs: 10 }, fresh: { clients: 2, everyMs: 20 } };
  const t0 = performance.now();
  const load = startLoad(env.url, shape);
  const ops = [];
  const deploy = [];
  const rollback = [];
  const cycle = [];
  let report;
  try {
    for (let i = 1; i <= cycles; i++) {
      const c = performance.now();
      for (const [op, path, body, into] of [['deploy', '/v1/deployments', { env: env.env, force: true }, deploy], ['rollback', '/v1/rollbacks', { env: env.env }, rollback]]) {
        const s = performance.now() - t0;
        const r = await timed(client, `${op} ${i} of ${env.env}`, path, body);
        into.push(r.ms);
        ops.push({ op, id: r.id, fromMs: Math.round(s), toMs: Math.round(s + r.ms) });
      }
      cycle.push(performance.now() - c);
      if (i % Math.max(1, Math.floor(cycles / 10)) === 0) {
        const now = load.snapshot();
        log(`  … ${i} of ${cycles} container deploy/rollback cycles (${now.sent} requests, ${now.failed} failed)`);
      }
    }
  } finally {
    await sleep(200);
    report = await load.stop();
  }
  const seconds = Math.round((performance.now() - t0) / 1000);
  // Each failure beside the operation that was under way when it happened.
  const failures = report.failures.map((f) => ({ ...f, during: ops.find((o) => f.atMs >= o.fromMs && f.atMs <= o.toMs) ?? null }));
  return {
    cycles, deploys: cycles, rollbacks: cycles, seconds, load: shape,
    requests: report.sent, failedRequests: report.failed, reasons: report.reasons, failures,
    byConnection: report.byConnection, releasesServed: Object.keys(report.bodies).length,
    deployMs: stats(deploy), rollbackMs: stats(rollback), cycleMs: stats(cycle),
    containers: { before: containersBefore, after: await slipwayContainers(docker) },
  };
}

const fmt = (s) => `${s.median} ms (${s.min}–${s.max})`.padEnd(22);

export async function benchContainers({ rounds = 5, reps = 7, cycles = 100, log = console.log } = {}) {
  const why = dockerUnavailable();
  if (why !== null) {
    log(`containers: skipped (${why})`);
    return { skipped: why };
  }
  const started = await startDockerEngine();
  if ('unavailable' in started) {
    log(`containers: skipped (${started.unavailable})`);
    return { skipped: started.unavailable };
  }
  const engine = started;
  let dir;
  const envVars = { DOCKER_HOST: `unix://${engine.socket}` };
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (dir !== undefined) {
      await cli(dir, envVars, ['down']);
      await cli(dir, envVars, ['server', 'stop']);
      rmSync(sandboxDirOf(join(dir, '.slipway')), { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
    await engine.stop();
  };
  const onSignal = (sig) => void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const out = await imageAndInstances(engine, rounds);
    log(`containers: image build ${out.imageBuildColdMs} ms cold, ${out.imageBuildWarmMs} ms with the base cached; artifact ${out.artifactBytes} B, app layer ${out.appLayerBytes} B, base layer ${out.baseLayerBytes} B`);

    dir = benchRepo(engine.registry);
    const built = await cli(dir, envVars, ['run']);
    if (built.code !== 0) throw new Error(`the pipeline failed:\n${built.out.slice(-3000)}`);
    // The control plane `slipway run` started has DOCKER_HOST; connect() finds it running.
    const client = await connect(dir, join(dir, '.slipway'));
    out.pipeline = await pipelineTimes(client, reps, log);
    out.underLoad = await underLoad(client, engine, cycles, log);
    out.goals = { 'failed requests under load = 0': out.underLoad.failedRequests === 0 };

    const p = out.pipeline;
    const u = out.underLoad;
    log(`\ncontainers against processes, the same app in one run (median (min–max); ${rounds} instance starts, ${p.reps} deployments each)`);
    log(`  ${'operation'.padEnd(34)}${'process'.padEnd(22)}${'container'.padEnd(22)}container/process`);
    log(`  ${'start one instance to healthy'.padEnd(34)}${fmt(out.startMs.process)}${fmt(out.startMs.docker)}${out.startRatio}×`);
    log(`  ${'stop one instance'.padEnd(34)}${fmt(out.stopMs.process)}${fmt(out.stopMs.docker)}${out.stopRatio}×`);
    log(`  ${'first deploy (container: pull)'.padEnd(34)}${`${p.first.process.deployMs} ms`.padEnd(22)}${`${p.first.docker.deployMs} ms`.padEnd(22)}${ratio(p.first.docker.deployMs, p.first.process.deployMs)}×`);
    for (const op of ['deploy', 'promote', 'rollback']) log(`  ${`${op}${op === 'rollback' ? ' (warm)' : ''}`.padEnd(34)}${fmt(p[op].process)}${fmt(p[op].docker)}${p[op].ratio}×`);
    log(`\ncontainers under load: ${u.deploys} deploys and ${u.rollbacks} rollbacks of ${KINDS.docker.staging} in ${u.seconds} s (${u.load.keepAlive.clients} keep-alive clients every ${u.load.keepAlive.everyMs} ms, ${u.load.fresh.clients} new-connection clients every ${u.load.fresh.everyMs} ms, through the proxy)`);
    log(`  requests ${u.requests} (${u.byConnection.keepAlive} keep-alive, ${u.byConnection.fresh} new connections), failed ${u.failedRequests}   goal 0   ${u.failedRequests === 0 ? 'PASS' : `MISS: ${Object.entries(u.reasons).map(([r, n]) => `${n} × ${r}`).join('; ')}`}`);
    for (const f of u.failures.slice(0, 10)) log(`    at ${f.atMs} ms (${f.connection}): ${f.reason}${f.during ? ` during ${f.during.op} ${f.during.id}` : ''}`);
    log(`  deploy ${fmt(u.deployMs)} p90 ${u.deployMs.p90} ms; rollback ${fmt(u.rollbackMs)} p90 ${u.rollbackMs.p90} ms; one cycle ${fmt(u.cycleMs)}`);
    log(`  releases seen answering: ${u.releasesServed}; Slipway's running containers before ${u.containers.before}, after ${u.containers.after}`);
    return out;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const n = process.argv.slice(2).find((a) => /^\d+$/.test(a));
  await benchContainers({ ...(quick ? QUICK_CONTAINERS : {}), ...(n === undefined ? {} : { cycles: Number(n) }) });
}
