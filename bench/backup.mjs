// Backup and restore figures (issue 13.2): for the example app deployed to staging and production
// with a secret each, the time of `slipway backup`, of `slipway restore` into a new home, and of
// `slipway up` there — beside baselines measured in the same run: a plain `tar` of the same home
// (what a backup costs at least), and `slipway up` of the old home from nothing (what restore + up
// adds to a rebuild on the same machine). Each CLI call is timed whole, node start included.
// benchBackupMany does the same for a home with 1 000 releases, made through the engine's own API.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/slipway.js');
const EXAMPLE = join(ROOT, 'examples/hello-service');

const gitEnv = { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
const git = (cwd, ...args) => spawnSync('git', args, { cwd, env: { ...process.env, ...gitEnv } });
const cli = (dir, args, env = {}, input = '') => new Promise((resolve) => {
  const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CI: 'true', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (err += d));
  c.stdin.end(input);
  c.on('close', (code) => resolve({ code, out, err }));
});
const must = async (p, what) => {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.err}${r.out}`);
  return r;
};
const timed = async (p, what) => {
  const t = performance.now();
  const r = await must(p, what);
  return { ms: Math.round(performance.now() - t), r };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchBackup({ rounds = 3, log = console.log } = {}) {
  delete process.env.SLIPWAY_MASTER_KEY;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-backup-'));
  const repo = join(dir, 'repo');
  cpSync(EXAMPLE, repo, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.endsWith('/dist') });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'hello-service');
  const oldEnv = { XDG_CONFIG_HOME: join(dir, 'keys-old') };
  const homes = [];
  const passphrase = 'bench passphrase, long enough\n';
  try {
    await must(cli(repo, ['run'], oldEnv), 'run');
    await must(cli(repo, ['deploy', 'staging'], oldEnv), 'deploy staging');
    await must(cli(repo, ['secrets', 'set', 'staging', 'GREETING'], oldEnv, 'bench-staging'), 'secrets set staging');
    await must(cli(repo, ['promote', 'staging', 'production'], oldEnv), 'promote');
    await must(cli(repo, ['secrets', 'set', 'production', 'GREETING'], oldEnv, 'bench-production'), 'secrets set production');

    const backup = [];
    const tar = [];
    let bytes = 0;
    for (let i = 0; i < rounds; i++) {
      const file = join(dir, `b${i}.backup`);
      backup.push((await timed(cli(repo, ['backup', file, '--include-master-key'], oldEnv, passphrase), 'backup')).ms);
      bytes = statSync(file).size;
      const t = performance.now();
      const r = spawnSync('tar', ['-C', repo, '-cf', join(dir, `t${i}.tar`), '.slipway']);
      if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
      tar.push(Math.round(performance.now() - t));
    }
    // Baseline: the old home rebuilt from nothing on this machine.
    const upOld = [];
    for (let i = 0; i < rounds; i++) {
      await must(cli(repo, ['down'], oldEnv), 'down');
      await must(cli(repo, ['server', 'stop'], oldEnv), 'server stop');
      upOld.push((await timed(cli(repo, ['up'], oldEnv), 'up (old home)')).ms);
    }
    await must(cli(repo, ['down'], oldEnv), 'down');
    await must(cli(repo, ['server', 'stop'], oldEnv), 'server stop');

    const restore = [];
    const upNew = [];
    for (let i = 0; i < rounds; i++) {
      const home = join(dir, `home-${i}`);
      const env = { XDG_CONFIG_HOME: join(dir, `keys-${i}`), SLIPWAY_HOME: home };
      homes.push(env);
      restore.push((await timed(cli(repo, ['restore', join(dir, 'b0.backup')], env, passphrase), 'restore')).ms);
      upNew.push((await timed(cli(repo, ['up'], env), 'up (restored home)')).ms);
      await must(cli(repo, ['down'], env), 'down (restored home)');
      await must(cli(repo, ['server', 'stop'], env), 'server stop (restored home)');
    }
    const result = {
      rounds,
      archiveBytes: bytes,
      backupMs: median(backup),
      tarOfHomeMs: median(tar),
      restoreMs: median(restore),
      upRestoredMs: median(upNew),
      upSameHomeMs: median(upOld),
    };
    result.ratios = {
      backupVsTar: result.backupMs / Math.max(1, result.tarOfHomeMs),
      restorePlusUpVsUp: (result.restoreMs + result.upRestoredMs) / Math.max(1, result.upSameHomeMs),
    };
    log(`\nbackup and restore of the example app (2 environments, a secret each; median of ${rounds}, CLI calls timed whole)`);
    log(`  backup (--include-master-key)  ${result.backupMs} ms, ${(bytes / 1048576).toFixed(1)} MiB   plain tar of the home (baseline) ${result.tarOfHomeMs} ms = ${result.ratios.backupVsTar.toFixed(1)}×`);
    log(`  restore into a new home        ${result.restoreMs} ms`);
    log(`  up in the restored home        ${result.upRestoredMs} ms   up of the old home from nothing (baseline) ${result.upSameHomeMs} ms`);
    log(`  restore + up                   ${result.restoreMs + result.upRestoredMs} ms = ${result.ratios.restorePlusUpVsUp.toFixed(1)}× the baseline up   goal: seconds`);
    return result;
  } finally {
    for (const env of homes) {
      await cli(repo, ['down'], env);
      await cli(repo, ['server', 'stop'], env);
    }
    await cli(repo, ['down'], oldEnv);
    await cli(repo, ['server', 'stop'], oldEnv);
    rmSync(dir, { recursive: true, force: true });
  }
}

const APP = `
const http = require('node:http');
const s = http.createServer((req, res) => res.end(process.env.SLIPWAY_RELEASE));
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;
const yamlOf = (approval) => [
  'app: many', 'build:', '  run: mkdir -p dist && cp server.cjs dist/', '  artifact: [dist/]', 'run:', '  command: node dist/server.cjs',
  'environments:', '  staging:', `    approval: ${approval}`, '    verify: { window: 100ms, interval: 100ms }', '  production:', '    promote_from: staging', '    verify: { window: 100ms, interval: 100ms }', '',
].join('\n');

/**
 * A home with `releases` releases, made through the engine's API as a busy team would leave it:
 * with staging under `approval: required`, each forced deploy request records a release and a
 * deployment awaiting approval, which is then withdrawn (nothing starts, so it is fast); then
 * approval is lifted, the last build is deployed to staging for real and promoted to production.
 * Then backup, restore into a new home, and `up` there are timed (restore + up: goal seconds).
 */
export async function benchBackupMany({ releases = 1000, log = console.log } = {}) {
  delete process.env.SLIPWAY_MASTER_KEY;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-backup-many-'));
  const repo = join(dir, 'repo');
  const oldEnv = { XDG_CONFIG_HOME: join(dir, 'keys-old') };
  const newEnv = { XDG_CONFIG_HOME: join(dir, 'keys-new'), SLIPWAY_HOME: join(dir, 'home-new') };
  const passphrase = 'bench passphrase, long enough\n';
  const savedXdg = process.env.XDG_CONFIG_HOME;
  try {
    mkdirSync(repo);
    writeFileSync(join(repo, 'server.cjs'), APP);
    writeFileSync(join(repo, 'slipway.yaml'), yamlOf('required'));
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'many');
    await must(cli(repo, ['run'], oldEnv), 'run');
    // The client below talks to the control plane `run` started with these keys.
    process.env.XDG_CONFIG_HOME = oldEnv.XDG_CONFIG_HOME;
    const { connect } = await import('../dist/src/cli/client.js');
    const client = await connect(repo, join(repo, '.slipway'));
    const t0 = performance.now();
    for (let i = 1; i < releases - 1; i++) {
      const { deployment } = await client.request('POST', '/v1/deployments', { env: 'staging', force: true });
      if (deployment?.phase !== 'awaiting_approval') throw new Error(`release ${i}: expected a deployment awaiting approval, got ${JSON.stringify(deployment)}`);
      await client.request('POST', `/v1/deployments/${deployment.id}/cancel`, {});
      if (i % 200 === 0) log(`  … ${i} releases`);
    }
    const makeMs = Math.round(performance.now() - t0);
    writeFileSync(join(repo, 'slipway.yaml'), yamlOf('none'));
    git(repo, 'commit', '-qam', 'no approval');
    await must(cli(repo, ['run'], oldEnv), 'run');
    await must(cli(repo, ['deploy', 'staging'], oldEnv), 'deploy staging');
    await must(cli(repo, ['secrets', 'set', 'staging', 'GREETING'], oldEnv, 'bench-staging'), 'secrets set staging');
    await must(cli(repo, ['promote', 'staging', 'production'], oldEnv), 'promote');
    const count = (await client.request('GET', '/v1/environments')).environments.map((e) => `${e.env} ${e.current?.release ?? '-'}`).join(', ');

    const file = join(dir, 'many.backup');
    const backupMs = (await timed(cli(repo, ['backup', file, '--include-master-key'], oldEnv, passphrase), 'backup')).ms;
    await must(cli(repo, ['down'], oldEnv), 'down');
    await must(cli(repo, ['server', 'stop'], oldEnv), 'server stop');
    const upOldMs = (await timed(cli(repo, ['up'], oldEnv), 'up (old home)')).ms;
    await must(cli(repo, ['down'], oldEnv), 'down');
    await must(cli(repo, ['server', 'stop'], oldEnv), 'server stop');
    const restoreMs = (await timed(cli(repo, ['restore', file], newEnv, passphrase), 'restore')).ms;
    const upNewMs = (await timed(cli(repo, ['up'], newEnv), 'up (restored home)')).ms;
    const history = JSON.parse((await must(cli(repo, ['history', 'staging', '-n', '10000', '--json'], newEnv), 'history')).out);
    const result = { releases: history.length, currents: count, makeMs, archiveBytes: statSync(file).size, backupMs, restoreMs, upRestoredMs: upNewMs, upSameHomeMs: upOldMs };
    result.ratios = { restorePlusUpVsUp: (restoreMs + upNewMs) / Math.max(1, upOldMs) };
    log(`\nbackup and restore of a home with ${history.length} deployments of staging (${count}); made through the API in ${(makeMs / 1000).toFixed(1)} s`);
    log(`  backup (--include-master-key)  ${backupMs} ms, ${(result.archiveBytes / 1048576).toFixed(1)} MiB`);
    log(`  restore into a new home        ${restoreMs} ms`);
    log(`  up in the restored home        ${upNewMs} ms   up of the old home from nothing (baseline) ${upOldMs} ms`);
    log(`  restore + up                   ${restoreMs + upNewMs} ms = ${result.ratios.restorePlusUpVsUp.toFixed(1)}× the baseline up   goal: seconds`);
    return result;
  } finally {
    if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = savedXdg;
    for (const env of [newEnv, oldEnv]) {
      await cli(repo, ['down'], env);
      await cli(repo, ['server', 'stop'], env);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = process.argv.slice(2).find((a) => /^\d+$/.test(a));
  if (n === undefined) await benchBackup({});
  await benchBackupMany(n === undefined ? {} : { releases: Number(n) });
}
