// `slipway init` on the package.json shapes people have: what it guesses, and that the file it
// writes always loads with no error.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planInitConfig, renderInitConfig, sanitiseAppName, type InitOptions, type PackageJson } from './init.js';
import { loadConfig } from './load.js';
import type { SlipwayConfig } from './types.js';

function loads(pkg: PackageJson, options: InitOptions): SlipwayConfig {
  const text = renderInitConfig(pkg, options);
  const { config, errors, warnings } = loadConfig('slipway.yaml', text);
  assert.deepEqual(errors, [], text);
  assert.deepEqual(warnings, []);
  assert.ok(config);
  return config;
}

void describe('renderInitConfig', () => {
  void test('a TypeScript service with build, test, lint, start and a lockfile', () => {
    const pkg = {
      name: '@acme/My_Shop',
      scripts: { build: 'tsc', test: 'node --test', lint: 'eslint .', start: 'node dist/server.js' },
      dependencies: { express: '^4' },
    };
    const c = loads(pkg, { files: ['package.json', 'package-lock.json', 'src', 'dist/', 'tsconfig.json'] });
    assert.equal(c.app, 'my-shop');
    assert.equal(c.build.run, 'npm ci && npm run build');
    assert.deepEqual(c.build.artifact, ['dist/', 'package.json', 'package-lock.json', 'node_modules/']);
    assert.deepEqual(
      c.gates.map((g) => [g.name, g.kind, g.needs]),
      [
        ['test', 'command', ['build']],
        ['lint', 'command', []],
        ['secrets', 'secret-scan', ['build']],
      ],
    );
    assert.equal(c.run.command, 'npm start');
    assert.equal(c.run.health.path, '/healthz');
    const [staging, production] = c.environments;
    assert.equal(staging?.deploy, 'auto');
    assert.equal(production?.promoteFrom, 'staging');
    assert.deepEqual(production?.strategy, { kind: 'canary', steps: [0.1, 0.5, 1], pauseMs: 10_000 });
    assert.ok(staging?.verify.enabled);
    assert.deepEqual(
      [staging.verify.windowMs, staging.verify.minSamples, staging.verify.inconclusive, staging.verify.checks.map((ch) => ch.source)],
      [30_000, 20, 'probe', ['error_rate < 1%', 'p99_latency < 500ms']],
    );
  });

  void test('a plain JavaScript app: no build, no test, no start, no lockfile', () => {
    const pkg = { name: 'hello', main: 'server.js', scripts: { test: 'echo "Error: no test specified" && exit 1' }, dependencies: { ws: '8' } };
    const c = loads(pkg, { files: ['package.json', 'server.js', 'lib', 'README.md'] });
    assert.equal(c.build.run, 'npm install');
    assert.deepEqual(c.build.artifact, ['lib/', 'server.js', 'package.json', 'node_modules/']);
    assert.deepEqual(c.gates.map((g) => g.name), ['secrets'], 'the npm placeholder test script is not a test');
    assert.equal(c.run.command, 'node server.js');
  });

  void test('no dependencies and no build: the source is the artifact, with no build command', () => {
    const c = loads({ name: 'tiny', scripts: { start: 'node index.js', test: 'node --test' } }, { files: ['package.json', 'index.js'] });
    assert.equal(c.build.run, undefined);
    assert.deepEqual(c.build.artifact, ['index.js', 'package.json']);
    assert.deepEqual(c.gates.map((g) => g.name), ['test', 'secrets']);
  });

  void test('a build whose output directory is not there yet is guessed, and says so', () => {
    const pkg = { name: 'web', scripts: { build: 'vite build' }, dependencies: { react: '18' } };
    const text = renderInitConfig(pkg, { files: ['package.json', 'src'] });
    assert.match(text, /# dist\/ is a guess/);
    assert.deepEqual(loads(pkg, { files: ['package.json', 'src'] }).build.artifact, ['dist/', 'package.json', 'node_modules/']);
    assert.deepEqual(planInitConfig(pkg, { files: ['package.json', 'build/'] }).artifact[0], 'build/');
  });

  void test('no name in package.json falls back to the directory name, then to "app"', () => {
    assert.equal(loads({}, { files: ['package.json'], dirName: 'My Project' }).app, 'my-project');
    assert.equal(loads({ name: '@@@' }, { files: ['package.json'] }).app, 'app');
  });

  void test('an odd main is quoted so the YAML stays valid', () => {
    const c = loads({ name: 'x', main: 'start: now.js' }, { files: ['package.json'] });
    assert.equal(c.run.command, 'node start: now.js');
  });
});

void test('sanitiseAppName', () => {
  assert.equal(sanitiseAppName('@scope/Foo.Bar_baz'), 'foo-bar-baz');
  assert.equal(sanitiseAppName('--x--'), 'x');
  assert.equal(sanitiseAppName(undefined), '');
});
