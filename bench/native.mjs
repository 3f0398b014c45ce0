// The dependency cache's figure (issue 15.9): `slipway run` of an app with a real native module —
// better-sqlite3, whose install compiles SQLite with node-gyp when prebuild-install cannot download
// a prebuilt binary (only the npm registry is reachable here) — on a first commit (cold) and on a
// second one that changes code but not the lockfile (warm), with this Slipway and with a baseline
// built from an earlier commit (before the cache; SLIPWAY_NATIVE_BASELINE, default 622a44e) in the
// same run. Each `slipway run` is timed whole, node start and control plane start included.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = process.env.SLIPWAY_NATIVE_PACKAGE ?? 'better-sqlite3@12.11.1';
const gitEnv = { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
const git = (cwd, ...args) => {
  const r = spawnSync('git', args, { cwd, env: { ...process.env, ...gitEnv }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
// Neither npm's settings of an `npm run bench` around us nor its cache: the control plane's own.
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const cli = (bin, dir, args) => new Promise((resolve) => {
  const c = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...cleanEnv(), CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (out += d));
  c.on('close', (code) => resolve({ code, out }));
});

/** The baseline Slipway: the source of `sha`, compiled once into a directory kept for the next run. */
const baselineBin = (sha, log) => {
  const dir = join(tmpdir(), `slipway-bench-baseline-${sha}`);
  const bin = join(dir, 'bin', 'slipway.js');
  if (existsSync(join(dir, '.built'))) return bin;
  log(`building the baseline Slipway of ${sha} in ${dir}…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', ROOT, sha, dir]);
  if (archive.status !== 0) throw new Error(`git archive ${sha}: ${archive.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`the baseline does not compile: ${tsc.stdout}`);
  writeFileSync(join(dir, '.built'), '');
  return bin;
};

/** An app that uses the native package; its lockfile made once (from the registry) and shared. */
const lockfileFor = (log) => {
  const dir = join(tmpdir(), `slipway-bench-native-lock-${PACKAGE.replace(/[^A-Za-z0-9.-]/g, '_')}`);
  if (existsSync(join(dir, 'package-lock.json'))) return dir;
  log(`resolving ${PACKAGE} into a lockfile…`);
  mkdirSync(dir, { recursive: true });
  const [name, version] = [PACKAGE.slice(0, PACKAGE.lastIndexOf('@')), PACKAGE.slice(PACKAGE.lastIndexOf('@') + 1)];
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'native-bench', version: '1.0.0', private: true, dependencies: { [name]: version } }, null, 2));
  const r = spawnSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0) throw new Error(`npm could not resolve ${PACKAGE}: ${r.stderr}`);
  return dir;
};

const measure = async (bin, lockDir, label, log) => {
  const repo = mkdtempSync(join(tmpdir(), 'slipway-bench-native-'));
  try {
    git(repo, 'init', '--quiet', '--initial-branch=main');
    spawnSync('cp', [join(lockDir, 'package.json'), join(lockDir, 'package-lock.json'), repo]);
    const name = PACKAGE.slice(0, PACKAGE.lastIndexOf('@'));
    writeFileSync(join(repo, 'slipway.yaml'), ['app: native-bench', 'build:', '  run: npm ci && node check.js', '  artifact: [package.json, check.js, node_modules/]', ''].join('\n'));
    writeFileSync(join(repo, '.npmrc'), 'audit=false\nfund=false\nupdate-notifier=false\n');
    writeFileSync(join(repo, 'check.js'), `require(${JSON.stringify(name)});\n`);
    git(repo, 'add', '-A');
    git(repo, 'commit', '--quiet', '-m', 'one');
    const times = [];
    for (const commit of ['cold', 'warm']) {
      if (commit === 'warm') {
        writeFileSync(join(repo, 'check.js'), `require(${JSON.stringify(name)}); // two\n`);
        git(repo, 'commit', '--quiet', '-am', 'two');
      }
      const t = performance.now();
      const r = await cli(bin, repo, ['run']);
      const ms = Math.round(performance.now() - t);
      if (r.code !== 0) throw new Error(`${label} ${commit}: slipway run failed:\n${r.out}`);
      log(`  ${label} ${commit}: ${(ms / 1000).toFixed(1)} s${/restored node_modules/.test(r.out) ? ' (node_modules from the dependency cache)' : ''}`);
      times.push(ms);
    }
    return { cold: times[0], warm: times[1] };
  } finally {
    const paths = await import(join(ROOT, 'dist', 'src', 'home', 'paths.js'));
    await cli(bin, repo, ['server', 'stop']);
    rmSync(paths.sandboxDirOf(join(repo, '.slipway')), { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
};

export async function benchNative({ log = console.log } = {}) {
  const baselineSha = process.env.SLIPWAY_NATIVE_BASELINE ?? '622a44e';
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  log(`\nnative module (${PACKAGE}): slipway run on a first commit and on a second with the same lockfile; load average ${load}`);
  const before = baselineBin(baselineSha, log);
  const lockDir = lockfileFor(log);
  const base = await measure(before, lockDir, `before (${baselineSha})`, log);
  const now = await measure(join(ROOT, 'bin', 'slipway.js'), lockDir, 'after', log);
  const result = {
    package: PACKAGE,
    baseline: baselineSha,
    loadAverage: load,
    beforeMs: base,
    afterMs: now,
    // The figure: how much faster the second commit's run is with the cache than without it.
    warmRatio: +(base.warm / now.warm).toFixed(2),
    coldRatio: +(base.cold / now.cold).toFixed(2),
  };
  log(`  second commit: before ${(base.warm / 1000).toFixed(1)} s, after ${(now.warm / 1000).toFixed(1)} s — ${result.warmRatio}× faster`);
  log(`  first commit:  before ${(base.cold / 1000).toFixed(1)} s, after ${(now.cold / 1000).toFixed(1)} s — ratio ${result.coldRatio} (the cache is filled, not used)`);
  return result;
}
