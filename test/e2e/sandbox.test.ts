// Issue 9.1: the review's exfiltration gate. Given production serving with a secret, a pushed branch
// whose gate and whose app run the attacker's script (fixtures/sandbox/exfiltrate.sh), when the
// branch goes through the merge queue and its release starts in staging, then every attempt fails:
// the master key, the database, the API token, the signing key, production's secret (from its
// instance's process environment), moving the canonical main, planting a ref, writing the home.
// The same script run outside the sandbox gets through each of them: the probes can tell.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { git, killLeftovers, ROOT, TempRepo } from './harness.js';
import { homeIdOf, sandboxDirOf } from '../../src/home/paths.js';
import { waitFor } from '../../src/test-support/wait.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';

const FIXTURES = join(ROOT, 'test/e2e/fixtures/sandbox');
const ATTEMPTS = ['master-key', 'database', 'api-token', 'signing-key', 'other-env-secret', 'move-main', 'plant-ref', 'write-home'];
const PROD_TOKEN = `prodtok-${randomBytes(12).toString('hex')}`;

/** The attempts reported in `text`, as {what: 'ok' | 'blocked'}. */
const attempts = (text: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/ATTEMPT ([\w-]+) (ok|blocked)/g)) if (m[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  return out;
};

describe('sandbox: the exfiltration gate', () => {
  let repo: TempRepo;
  // Outside /tmp (which the sandbox replaces wholesale), so that hiding them is what is tested.
  let outside: string;
  let home: string;
  let keys: string;
  const saved = { home: process.env.SLIPWAY_HOME, xdg: process.env.XDG_CONFIG_HOME };
  // Where the first `secrets set` puts the master key (docs/config-and-secrets.md).
  const keyFile = (): string => join(keys, 'slipway', 'keys', `${homeIdOf(home)}.key`);
  const canonical = (): string => join(home, 'repo.git');
  const cli = async (args: string[], input?: string): Promise<string> => {
    const r = await repo.cli(args, { input });
    assert.equal(r.code, 0, `slipway ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  before(() => {
    outside = mkdtempSync('/var/tmp/slipway-sandbox-test-');
    home = join(outside, 'home');
    keys = join(outside, 'config');
    process.env.SLIPWAY_HOME = home;
    process.env.XDG_CONFIG_HOME = keys;
    delete process.env.SLIPWAY_MASTER_KEY;
    repo = new TempRepo('slipway-sandbox-');
    cpSync(join(FIXTURES, 'exfiltrate.sh'), join(repo.dir, 'exfiltrate.sh'));
    cpSync(join(FIXTURES, 'server.mjs'), join(repo.dir, 'server.mjs'));
    const attack = `sh exfiltrate.sh ${home} ${keyFile()} ${canonical()}`;
    repo.write({
      'slipway.yaml': [
        'app: sandboxed',
        'build:',
        '  run: mkdir -p dist && cp server.mjs exfiltrate.sh dist/ && if [ -f attack ]; then cp attack dist/; fi',
        '  artifact: [dist/]',
        'gates:',
        // The branch under test decides what its gate runs: here, the attack once `attack` exists.
        `  exfil: { run: 'if [ -f attack ]; then ${attack.replace('sh exfiltrate.sh', 'sh dist/exfiltrate.sh')}; fi' }`,
        'run:',
        `  command: 'if [ -f dist/attack ]; then ${attack.replace('sh exfiltrate.sh', 'sh dist/exfiltrate.sh')} > "$SLIPWAY_DATA_DIR/report.txt" 2>&1; fi; exec node dist/server.mjs'`,
        '  health: { path: /, start_timeout: 20s }',
        'environments:',
        '  staging: { verify: false }',
        '  production: { verify: false }',
        '',
      ].join('\n'),
    });
    repo.commit('the app');
  });
  after(async () => {
    await repo.dispose();
    killLeftovers(home);
    rmSync(sandboxDirOf(home), { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
    process.env.SLIPWAY_HOME = saved.home;
    process.env.XDG_CONFIG_HOME = saved.xdg;
    if (saved.home === undefined) delete process.env.SLIPWAY_HOME;
    if (saved.xdg === undefined) delete process.env.XDG_CONFIG_HOME;
  });

  test('a step and an app of a pushed branch reach nothing of the home, the key, production or the canonical repository', { timeout: 300_000 }, async () => {
    // Given: production serving with a secret, the merge queue's canonical repository.
    await cli(['secrets', 'set', 'production', 'PROD_TOKEN', '--exact'], PROD_TOKEN);
    await cli(['run']);
    await cli(['deploy', 'production']);
    assert.ok(existsSync(keyFile()), 'the master key file exists outside the home');

    // When: a branch that turns the gate and the app into the attack goes through the queue.
    git(repo.dir, 'checkout', '-q', '-b', 'attack');
    repo.write({ attack: 'yes\n' });
    repo.commit('attack');
    git(repo.dir, 'checkout', '-q', 'main');
    const merged = await repo.cli(['merge', 'attack', '--wait']);
    const mainAfterQueue = git(canonical(), 'rev-parse', 'refs/heads/main');

    // Then: the gate's every attempt was blocked (the queue merged it: the script exits 0).
    assert.equal(merged.code, 0, merged.stdout + merged.stderr);
    const runs = JSON.parse(await cli(['runs', '--json'])) as { id: string; digest?: string }[];
    const gate = attempts(await cli(['logs', runs[0]?.id ?? 'none']));
    assert.deepEqual(Object.keys(gate).sort(), [...ATTEMPTS].sort(), 'the gate ran every attempt');
    for (const what of ATTEMPTS) assert.equal(gate[what], 'blocked', `step: ${what}`);

    // When: the merged release starts in staging (its app runs the same script first). The queue's
    // run built the merged tree; the working copy's HEAD is still main before the attack, so the
    // release is named by the digest that run built (deploy alone ships HEAD's build).
    const mergedBuild = runs[0]?.digest;
    assert.ok(mergedBuild, 'the queue run of the merged tree built an artifact');
    await cli(['deploy', 'staging', '--digest', mergedBuild]);
    const report = join(sandboxDirOf(home), 'data', 'staging', 'report.txt');
    await waitFor(() => existsSync(report) && attempts(readFileSync(report, 'utf8'))['write-home'] !== undefined, { what: 'the app report' });
    const app = attempts(readFileSync(report, 'utf8'));
    for (const what of ATTEMPTS) assert.equal(app[what], 'blocked', `app: ${what}`);

    // And: nothing moved or appeared.
    assert.equal(git(canonical(), 'rev-parse', 'refs/heads/main'), mainAfterQueue);
    assert.equal(spawnSync('git', ['--git-dir', canonical(), 'rev-parse', '--verify', '-q', 'refs/heads/pwned'], { env: gitEnv() }).status, 1, 'no planted ref');
    assert.equal(existsSync(join(home, 'pwned')), false);
    // The home is the control plane's alone.
    assert.equal(statSync(home).mode & 0o777, 0o700);

    // Control: the same script outside the sandbox (a copy of the canonical repository to move)
    // gets through every attempt while production serves, so each probe above can fail.
    const copy = join(outside, 'copy.git');
    git(outside, 'clone', '-q', '--bare', canonical(), copy);
    const bare = spawnSync('sh', [join(FIXTURES, 'exfiltrate.sh'), home, keyFile(), copy], { encoding: 'utf8' });
    const control = attempts(bare.stdout);
    for (const what of ATTEMPTS) assert.equal(control[what], 'ok', `unsandboxed: ${what}`);
    rmSync(join(home, 'pwned'), { force: true });
  });
});
