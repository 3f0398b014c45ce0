// The dependency cache (issue 15.9), end to end with the real CLI and a real native module: a tiny
// addon of the test's own (binding.gyp and a .c file, installed from a local tarball, so that no
// network is needed), compiled by node-gyp in the sandboxed build. Given a first commit that
// compiles it, when a second commit keeps the lockfile, then no compiler runs and the artifact is
// the same as a build from scratch; a lockfile change, a tampered entry and a branch's install each
// compile again, and a branch's install is never reused by main.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, TempRepo } from './harness.js';
import { sandboxDirOf } from '../../src/home/paths.js';

const repos: TempRepo[] = [];
after(async () => {
  for (const r of repos) await r.dispose();
});

/** A package tarball made from `files`, and the lockfile entry that pins it. */
const tarball = (name: string, files: Record<string, string>): { file: string; bytes: Buffer; integrity: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-addon-'));
  try {
    mkdirSync(join(dir, 'package'));
    for (const [p, text] of Object.entries(files)) writeFileSync(join(dir, 'package', p), text);
    const file = `${name}-1.0.0.tgz`;
    const r = spawnSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-czf', join(dir, file), '-C', dir, 'package']);
    assert.equal(r.status, 0, String(r.stderr));
    const bytes = readFileSync(join(dir, file));
    return { file, bytes, integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** A native addon whose install compiles a C file with node-gyp (its output says `CC(target)`). */
const addon = tarball('tiny-addon', {
  'package.json': JSON.stringify({ name: 'tiny-addon', version: '1.0.0', main: 'index.js', gypfile: true, scripts: { install: 'node-gyp rebuild' } }),
  'binding.gyp': JSON.stringify({ targets: [{ target_name: 'tiny', sources: ['tiny.c'] }] }),
  'tiny.c': [
    '#include <node_api.h>',
    'static napi_value Answer(napi_env env, napi_callback_info info) { napi_value r; napi_create_int32(env, 42, &r); return r; }',
    'static napi_value Init(napi_env env, napi_value exports) { napi_value fn; napi_create_function(env, "answer", NAPI_AUTO_LENGTH, Answer, NULL, &fn); napi_set_named_property(env, exports, "answer", fn); return exports; }',
    'NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)',
    '',
  ].join('\n'),
  'index.js': "module.exports = require('./build/Release/tiny.node');\n",
});
const plain = tarball('tiny-plain', { 'package.json': JSON.stringify({ name: 'tiny-plain', version: '1.0.0' }), 'index.js': 'module.exports = 1;\n' });

/** package.json and package-lock.json depending on the addon (and, with `more`, on a plain package too). */
const manifests = (more: boolean): Record<string, string> => {
  const deps: Record<string, string> = { 'tiny-addon': `file:${addon.file}`, ...(more ? { 'tiny-plain': `file:${plain.file}` } : {}) };
  const packages: Record<string, unknown> = {
    '': { name: 'native', version: '1.0.0', dependencies: deps },
    'node_modules/tiny-addon': { version: '1.0.0', resolved: `file:${addon.file}`, integrity: addon.integrity, hasInstallScript: true },
    ...(more ? { 'node_modules/tiny-plain': { version: '1.0.0', resolved: `file:${plain.file}`, integrity: plain.integrity } } : {}),
  };
  return {
    'package.json': JSON.stringify({ name: 'native', version: '1.0.0', private: true, dependencies: deps }, null, 2),
    'package-lock.json': JSON.stringify({ name: 'native', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2),
  };
};

const nativeApp = (): TempRepo => {
  const repo = new TempRepo().write({
    'slipway.yaml': [
      'app: native',
      'build:',
      '  run: npm ci && node check.js',
      '  artifact: [package.json, server.js, node_modules/]',
      'run:',
      '  command: node server.js',
    ].join('\n'),
    // Install scripts' output in the build log: node-gyp's `CC(target)` line shows the compiler ran.
    '.npmrc': 'audit=false\nfund=false\nupdate-notifier=false\nforeground-scripts=true\n',
    'server.js': "require('tiny-addon');\n",
    'check.js': "process.exit(require('tiny-addon').answer() === 42 ? 0 : 1);\n",
    ...manifests(false),
  });
  writeFileSync(join(repo.dir, addon.file), addon.bytes);
  writeFileSync(join(repo.dir, plain.file), plain.bytes);
  repos.push(repo);
  return repo;
};

// The control plane's own npm settings, not those of an npm script around the test.
const env = { npm_config_cache: undefined, npm_config_prefer_offline: undefined, npm_config_foreground_scripts: undefined } as unknown as Record<string, string>;

interface Built {
  digest: string;
  log: string;
}

const run = async (repo: TempRepo): Promise<Built> => {
  const r = await repo.cli(['run', '--json'], { env });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.code, 0, out);
  const { run: record } = JSON.parse(r.stdout) as { run: { id: string; digest: string } };
  const logs = await repo.cli(['logs', record.id, '--step', 'build'], { env });
  return { digest: record.digest, log: logs.stdout };
};

const COMPILED = /CC\(target\) Release\/obj\.target\/tiny\/tiny\.o/;

void describe('the dependency cache: a native module is compiled once per lockfile', () => {
  test('same lockfile: restored, not compiled, same digest as from scratch; a lockfile change, a tampered entry and a branch compile again', async () => {
    const repo = nativeApp();
    repo.commit('one');
    const one = await run(repo);
    assert.match(one.log, COMPILED, one.log);
    assert.match(one.log, /stored node_modules in the dependency cache \(key [0-9a-f]{12}/);

    // Given a code change with the same lockfile, when it runs, then no compiler runs.
    repo.write({ 'server.js': "require('tiny-addon'); // two\n" }).commit('two');
    const two = await run(repo);
    assert.doesNotMatch(two.log, COMPILED, two.log);
    assert.match(two.log, /restored node_modules from the dependency cache \(key [0-9a-f]{12}, \d+ files, stored by run r1 .*not running `npm ci`/);
    assert.notEqual(two.digest, one.digest);
    // Reproducible: the rebuild from scratch (npm ci in a fresh checkout, compiling) has the same digest.
    const check = await repo.cli(['build', '--check-reproducible', '--json'], { env });
    assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
    const report = JSON.parse(check.stdout) as { stored: string; rebuilt: string; reproducible: boolean };
    assert.deepEqual([report.reproducible, report.rebuilt], [true, two.digest]);

    // A lockfile change compiles again.
    repo.write(manifests(true)).commit('three');
    const three = await run(repo);
    assert.match(three.log, COMPILED, three.log);
    assert.match(three.log, /dependency cache: no entry for key/);

    // A tampered entry is detected, removed and not used: the install runs (and compiles) again.
    const deps = join(sandboxDirOf(join(repo.dir, '.slipway')), 'deps');
    const entries = readdirSync(deps).filter((n) => /^[0-9a-f]{64}$/.test(n));
    assert.equal(entries.length, 2);
    for (const e of entries) appendFileSync(join(deps, e, 'node_modules', 'tiny-addon', 'index.js'), "console.log('poisoned');\n");
    repo.write({ 'server.js': "require('tiny-addon'); // four\n" }).commit('four');
    const four = await run(repo);
    assert.match(four.log, /dependency cache entry [0-9a-f]{12} was changed after it was stored \(its content has digest sha256:[0-9a-f]{64}, not the sha256:[0-9a-f]{64} recorded/);
    assert.match(four.log, COMPILED);
    assert.match(four.log, /stored node_modules in the dependency cache/);

    // A branch's install is not stored: main's next build with that lockfile compiles its own.
    git(repo.dir, 'checkout', '--quiet', '-b', 'feature');
    repo.write(manifests(false)).write({ 'server.js': "require('tiny-addon'); // feature\n" });
    repo.write({ 'package.json': manifests(false)['package.json']?.replace('"private": true', '"private": true, "description": "feature"') ?? '' }).commit('feature');
    const branch = await run(repo);
    assert.match(branch.log, COMPILED);
    assert.match(branch.log, /node_modules not stored in the dependency cache: commit [0-9a-f]{12} is not on main/);
    git(repo.dir, 'checkout', '--quiet', 'main');
    git(repo.dir, 'merge', '--quiet', '--no-ff', '-m', 'merge feature', 'feature');
    const merged = await run(repo);
    assert.match(merged.log, COMPILED, 'main does not reuse what the branch installed');
    assert.match(merged.log, /stored node_modules in the dependency cache/);
  });

  test('a root package with an install script runs npm ci every time', async () => {
    const repo = nativeApp();
    const pkg = JSON.parse(manifests(false)['package.json'] ?? '{}') as Record<string, unknown>;
    repo.write({ 'package.json': JSON.stringify({ ...pkg, scripts: { postinstall: 'node -e 1' } }, null, 2) }).commit('root script');
    const one = await run(repo);
    assert.match(one.log, /dependency cache not used: package\.json has a "postinstall" script, which npm ci runs/);
    repo.write({ 'server.js': "require('tiny-addon'); // again\n" }).commit('again');
    assert.match((await run(repo)).log, COMPILED);
  });
});
