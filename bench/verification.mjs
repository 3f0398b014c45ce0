// Verification figures (issue 4, SPEC §8): for a canary failing 100 % and one failing 5 % of its
// requests, at 10 and 100 canary requests/s, the time from the first bad response to the verdict,
// from the verdict to the restore, and the bad responses users got (blast radius); and the
// false-rollback rate over healthy canaries with 0.1 % background errors. Baseline, replayed on the
// very traffic of each run: a fixed-threshold check (error rate over each 1 s interval > 1 %, as
// Flagger's success-rate check with threshold 1, at a 1 s interval).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from '../dist/src/cli/client.js';
import { appSource, steadyTraffic } from '../dist/test/e2e/verification-helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/slipway.js');
/** Share of the traffic the canary step takes: the generator sends canary rps ÷ this through the proxy. */
const CANARY_WEIGHT = 0.5;

const git = (cwd, ...args) => spawnSync('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
const cli = (dir, args) => new Promise((resolve) => {
  const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (err += d));
  c.on('close', (code) => resolve({ code, out, err }));
});
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const spread = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x));
  return s.length ? [Math.min(...s), Math.max(...s)] : [NaN, NaN];
};
const round = (x) => (Number.isFinite(x) ? Math.round(x) : null);

const waitDone = async (client, id) => {
  for (;;) {
    const r = await client.request('GET', `/v1/deployments/${id}`);
    if (r.deployment.finishedAt) return r;
    await sleep(50);
  }
};
const at = (events, kind) => {
  const e = events.find((x) => x.kind === kind);
  return e ? Date.parse(e.at) : NaN;
};

/**
 * The baseline check replayed on the canary's answers: every whole second from `origin` (when the
 * canary step began taking traffic), the answers of that second with more than 1 % errors fail it. Returns the time of the
 * first failing boundary, or NaN when none failed while there was traffic.
 */
export const fixedThresholdVerdict = (answers, origin, threshold = 0.01, intervalMs = 1000) => {
  if (answers.length === 0) return NaN;
  const sorted = [...answers].sort((a, b) => a.doneAt - b.doneAt);
  const start = Number.isFinite(origin) ? origin : sorted[0].doneAt;
  const end = sorted[sorted.length - 1].doneAt;
  for (let b = start + intervalMs; b <= end + intervalMs; b += intervalMs) {
    const inside = sorted.filter((a) => a.doneAt > b - intervalMs && a.doneAt <= b);
    const bad = inside.filter((a) => a.status !== 200).length;
    if (inside.length > 0 && bad / inside.length > threshold) return b;
  }
  return NaN;
};

const setUp = async ({ grossIntervalMs, healthyWindowMs }) => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-verify-'));
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'slipway.yaml'), [
    'app: bench-verify', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]',
    'run:', '  command: node dist/server.cjs', '  health: { path: /healthz, start_timeout: 10s }', '  stop_grace: 1s',
    'environments:',
    '  gross:',
    `    strategy: { canary: [${CANARY_WEIGHT * 100}%, 100%], pause: 150s }`,
    `    verify: { window: 1s, interval: ${grossIntervalMs}ms }`,
    '  gross-default:',
    `    strategy: { canary: [${CANARY_WEIGHT * 100}%, 100%], pause: 150s }`,
    '    verify: { window: 1s }',
    '  healthy:',
    `    strategy: { canary: [${CANARY_WEIGHT * 100}%, 100%], pause: ${healthyWindowMs}ms }`,
    `    verify: { window: ${healthyWindowMs}ms, interval: 250ms }`,
    '',
  ].join('\n'));
  const digests = {};
  for (const [name, failRate] of [['good', 0], ['fail100', 1], ['fail5', 0.05], ['background', 0.001]]) {
    writeFileSync(join(dir, 'server.cjs'), appSource({ failRate, variant: name }));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', name);
    const r = await cli(dir, ['run', '--json']);
    if (r.code !== 0) throw new Error(`the pipeline of ${name} failed: ${r.err}`);
    digests[name] = JSON.parse(r.out).run.digest;
  }
  const client = await connect(dir, join(dir, '.slipway'));
  return { dir, client, digests };
};

const deploy = async (client, env, digest) => (await client.request('POST', '/v1/deployments', { env, digest, force: true })).deployment;
const envUrl = async (client, env) => (await client.request('GET', '/v1/environments')).environments.find((e) => e.env === env)?.url;

/** One bad canary under traffic: the generator runs from before the deploy until just after it ends. */
const grossRun = async (client, digests, env, failRate, canaryRps) => {
  const url = await envUrl(client, env);
  let finished;
  const done = new Promise((r) => (finished = r));
  const traffic = steadyTraffic({ url, rps: canaryRps / CANARY_WEIGHT, until: done.then(() => sleep(300)), maxMs: 200_000, maxInFlight: 64 });
  await sleep(300);
  const d = await deploy(client, env, failRate === 1 ? digests.fail100 : digests.fail5);
  const { deployment: end, events } = await waitDone(client, d.id);
  finished();
  const answers = (await traffic).answers;
  const label = `v${end.release}`;
  const canary = answers.filter((a) => a.upstream === label);
  const bad = answers.filter((a) => a.status !== 200);
  const firstBad = Math.min(...bad.map((a) => a.doneAt));
  const failedEvent = events.find((e) => e.kind === 'deployment.verification_failed');
  const verdict = at(events, 'deployment.verification_failed');
  const restoredEvent = events.find((e) => e.kind === 'deployment.restored');
  const restoredAt = restoredEvent ? Date.parse(restoredEvent.at) : NaN;
  const naive = fixedThresholdVerdict(canary.filter((a) => a.sentAt <= restoredAt), at(events, 'deployment.routed'));
  const check = failedEvent?.data.report?.checks?.find((c) => c.status === 'fail');
  return {
    deployment: end.id,
    outcome: end.phase,
    caughtAt: failedEvent?.data.label ?? null,
    check: failedEvent?.data.check ?? null,
    canaryRequests: canary.length,
    samplesAtVerdict: check?.samples ?? null,
    badFromOthers: bad.filter((a) => a.upstream !== label).length,
    firstBadToVerdictMs: round(verdict - firstBad),
    verdictToRestoreMs: restoredEvent ? restoredEvent.data.msFromVerdict : null,
    firstBadToRestoredMs: round(restoredAt - firstBad),
    blastRadius: bad.length,
    baselineFirstBadToVerdictMs: round(naive - firstBad),
  };
};

/** Healthy canaries (0.1 % errors) one after another under steady traffic: how many were rolled back. */
const healthyRuns = async (client, digests, { count, rps, log }) => {
  const first = await deploy(client, 'healthy', digests.good);
  await waitDone(client, first.id);
  const url = await envUrl(client, 'healthy');
  let stop;
  const until = new Promise((r) => (stop = r));
  const traffic = steadyTraffic({ url, rps, until, maxMs: 3_600_000, maxInFlight: 32 });
  const runs = [];
  for (let i = 0; i < count; i++) {
    const d = await deploy(client, 'healthy', digests.background);
    const { deployment: end, events } = await waitDone(client, d.id);
    runs.push({ id: end.id, release: end.release, phase: end.phase, reason: end.reason ?? null, start: at(events, 'deployment.routed'), end: Date.parse(end.finishedAt) });
    if ((i + 1) % 20 === 0) log(`  … ${i + 1} healthy canaries`);
  }
  stop();
  const answers = (await traffic).answers;
  let baselineFalse = 0;
  let requests = 0;
  let errors = 0;
  for (const r of runs) {
    const mine = answers.filter((a) => a.upstream === `v${r.release}` && a.doneAt >= r.start && a.doneAt <= r.end);
    requests += mine.length;
    errors += mine.filter((a) => a.status !== 200).length;
    if (Number.isFinite(fixedThresholdVerdict(mine, r.start))) baselineFalse++;
  }
  const falseRollbacks = runs.filter((r) => r.phase !== 'succeeded');
  return {
    canaries: runs.length,
    falseRollbacks: falseRollbacks.length,
    falseRollbackRate: falseRollbacks.length / runs.length,
    reasons: falseRollbacks.map((r) => `${r.id}: ${r.reason}`),
    userRequests: requests,
    userErrors: errors,
    baselineFalseRollbacks: baselineFalse,
    baselineFalseRollbackRate: baselineFalse / runs.length,
  };
};

/**
 * Runs the verification bench; returns the figures (also written to bench/results/verification.json).
 * `runs` bad canaries per case, `healthy` healthy canaries.
 */
export async function benchVerification({ runs = 3, healthy = 100, healthyRps = 20, grossIntervalMs = 250, healthyWindowMs = 1000, log = console.log } = {}) {
  const t0 = Date.now();
  const { dir, client, digests } = await setUp({ grossIntervalMs, healthyWindowMs });
  try {
    for (const env of ['gross', 'gross-default']) await waitDone(client, (await deploy(client, env, digests.good)).id);
    const cases = [];
    const plan = [
      { env: 'gross', failRate: 1, canaryRps: 10, interval: `${grossIntervalMs}ms` },
      { env: 'gross', failRate: 1, canaryRps: 100, interval: `${grossIntervalMs}ms` },
      { env: 'gross', failRate: 0.05, canaryRps: 10, interval: `${grossIntervalMs}ms` },
      { env: 'gross', failRate: 0.05, canaryRps: 100, interval: `${grossIntervalMs}ms` },
      // The same gross failure with the default interval (1 s): what an unconfigured environment gets.
      { env: 'gross-default', failRate: 1, canaryRps: 10, interval: '1s (default)' },
    ];
    for (const { env, failRate, canaryRps, interval } of plan) {
      const rs = [];
      for (let i = 0; i < runs; i++) {
        const r = await grossRun(client, digests, env, failRate, canaryRps);
        rs.push(r);
        // Missed: the bad release went live; put the good one back before the next run.
        if (r.outcome !== 'rolled_back') await waitDone(client, (await deploy(client, env, digests.good)).id);
      }
      const pick = (k) => rs.map((r) => r[k] ?? NaN);
      const c = {
        failRate,
        canaryRps,
        interval,
        runs: rs,
        caught: rs.filter((r) => r.outcome === 'rolled_back').length,
        firstBadToVerdictMs: { median: median(pick('firstBadToVerdictMs')), range: spread(pick('firstBadToVerdictMs')) },
        verdictToRestoreMs: { median: median(pick('verdictToRestoreMs')), range: spread(pick('verdictToRestoreMs')) },
        firstBadToRestoredMs: { median: median(pick('firstBadToRestoredMs')), range: spread(pick('firstBadToRestoredMs')) },
        blastRadius: { median: median(pick('blastRadius')), range: spread(pick('blastRadius')) },
        baselineFirstBadToVerdictMs: { median: median(pick('baselineFirstBadToVerdictMs')) },
      };
      c.ratioToBaseline = c.firstBadToVerdictMs.median / c.baselineFirstBadToVerdictMs.median;
      cases.push(c);
      log(`  ${failRate * 100}% failing at ${canaryRps} canary rps (interval ${interval}): caught ${c.caught}/${runs}, first bad → restored ${c.firstBadToRestoredMs.median} ms`);
    }
    const falseRollbacks = await healthyRuns(client, digests, { count: healthy, rps: healthyRps, log });
    const gross10 = cases.find((c) => c.failRate === 1 && c.canaryRps === 10 && c.interval === `${grossIntervalMs}ms`);
    const gross10default = cases.find((c) => c.interval === '1s (default)');
    const result = {
      settings: { canaryWeight: CANARY_WEIGHT, checks: ['error_rate < 1%', 'p99_latency < 500ms'], minSamples: 20, healthy: { window: `${healthyWindowMs}ms`, interval: '250ms', rps: healthyRps, backgroundErrors: 0.001 } },
      baseline: 'fixed threshold replayed on the same traffic: error rate over each 1 s interval > 1 % fails (Flagger-style success rate, threshold 1)',
      cases,
      falseRollbacks,
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    result.goals = {
      'gross failure rolled back ≤ 2 s at 10 canary rps': gross10.caught === runs && gross10.firstBadToRestoredMs.median <= 2000,
      'the same with the default 1 s interval': gross10default.caught === runs && gross10default.firstBadToRestoredMs.median <= 2000,
      'false rollbacks ≤ 1 %': falseRollbacks.falseRollbackRate <= 0.01,
    };
    const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)}` : '—');
    log(`\nverification (canary at ${CANARY_WEIGHT * 100}%, checks error_rate < 1% and p99_latency < 500ms; medians of ${runs} runs [min–max]; baseline: fixed 1 % threshold per 1 s interval on the same traffic)`);
    log('  release        canary rps  interval      caught  first bad → verdict     verdict → restore  first bad → restored    bad answers   baseline verdict  ratio');
    for (const c of cases) {
      log(`  ${`${c.failRate * 100}% failing`.padEnd(14)} ${String(c.canaryRps).padStart(10)}  ${c.interval.padEnd(12)}  ${`${c.caught}/${runs}`.padStart(6)}  ${`${ms(c.firstBadToVerdictMs.median)} ms [${ms(c.firstBadToVerdictMs.range[0])}–${ms(c.firstBadToVerdictMs.range[1])}]`.padEnd(22)}  ${`${ms(c.verdictToRestoreMs.median)} ms`.padEnd(17)}  ${`${ms(c.firstBadToRestoredMs.median)} ms`.padEnd(22)}  ${`${ms(c.blastRadius.median)} [${ms(c.blastRadius.range[0])}–${ms(c.blastRadius.range[1])}]`.padEnd(12)}  ${`${ms(c.baselineFirstBadToVerdictMs.median)} ms`.padEnd(16)}  ${Number.isFinite(c.ratioToBaseline) ? `${c.ratioToBaseline.toFixed(1)}×` : '—'}`);
    }
    log(`  goal: gross failure rolled back ≤ 2 s at 10 canary rps: ${ms(gross10.firstBadToRestoredMs.median)} ms → ${result.goals['gross failure rolled back ≤ 2 s at 10 canary rps'] ? 'met' : 'NOT met'} (interval ${grossIntervalMs} ms); with the default 1 s interval ${ms(gross10default.firstBadToRestoredMs.median)} ms → ${result.goals['the same with the default 1 s interval'] ? 'met' : 'NOT met'}`);
    const f = falseRollbacks;
    log(`  false rollbacks over ${f.canaries} healthy canaries (0.1 % errors, ${healthyRps} rps, ${f.userRequests} canary requests, ${f.userErrors} errors): ${f.falseRollbacks} (${(f.falseRollbackRate * 100).toFixed(1)} %)   goal ≤ 1 % → ${result.goals['false rollbacks ≤ 1 %'] ? 'met' : 'NOT met'}   baseline: ${f.baselineFalseRollbacks} (${(f.baselineFalseRollbackRate * 100).toFixed(1)} %)`);
    log(`  (${result.seconds} s in all)`);
    const out = join(ROOT, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'verification.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, ...result }, null, 2));
    return result;
  } finally {
    await cli(dir, ['down']);
    await cli(dir, ['server', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [runs, healthy] = process.argv.slice(2).map(Number);
  await benchVerification({ runs: runs || 3, healthy: healthy || 100 });
}
