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
      devDependencies: { typescript: '5' },
    };
    const sources = [{ path: 'src/server.ts', text: "app.get('/healthz', (_q, r) => r.send('ok'));\n" }];
    const c = loads(pkg, { files: ['package.json', 'package-lock.json', 'src/', 'dist/', 'tsconfig.json'], sources, ports: { staging: 8091, production: 8090 } });
    assert.equal(c.app, 'my-shop');
    assert.equal(c.build.run, 'npm ci && npm run build && npm prune --omit=dev', 'devDependencies do not reach the artifact');
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
    assert.match(renderInitConfig(pkg, { files: ['package.json', 'package-lock.json'], sources }), /found in src\/server\.ts:1/);
    const [staging, production] = c.environments;
    assert.deepEqual([staging?.port, production?.port], [8091, 8090]);
    assert.equal(staging?.deploy, 'auto');
    assert.equal(production?.promoteFrom, 'staging');
    assert.deepEqual(production?.strategy, { kind: 'canary', steps: [0.1, 0.5, 1], pauseMs: 10_000 });
    assert.ok(staging?.verify.enabled);
    assert.deepEqual(
      [staging.verify.windowMs, staging.verify.minSamples, staging.verify.inconclusive, staging.verify.checks.map((ch) => ch.source)],
      [30_000, 20, 'probe', ['error_rate < 1%', 'p99_latency < 500ms']],
    );
  });

  void test('no build: every tracked file the app runs from, without tests and dev files, and why', () => {
    const pkg = { name: 'hello', main: 'server.js', scripts: { test: 'echo "Error: no test specified" && exit 1' }, dependencies: { ws: '8' } };
    const tracked = ['package.json', 'server.js', 'lib/db.js', 'routes/users.js', 'views/index.html', 'test/server.test.js', 'README.md', '.eslintrc.json', '.github/workflows/ci.yml', 'server.test.js', 'Dockerfile', 'LICENSE'];
    const options = { files: ['package.json', 'server.js', 'lib/', 'routes/', 'views/', 'test/', 'README.md'], tracked };
    const c = loads(pkg, options);
    assert.equal(c.build.run, 'npm install --omit=dev');
    assert.deepEqual(c.build.artifact, ['lib/', 'routes/', 'server.js', 'views/', 'package.json', 'node_modules/']);
    assert.deepEqual(c.gates.map((g) => g.name), ['secrets'], 'the npm placeholder test script is not a test');
    assert.equal(c.run.command, 'node server.js');
    const text = renderInitConfig(pkg, options);
    assert.match(text, /# no build step: every tracked file the app runs from, without tests and dev files/);
    assert.match(text, /# left out: \.eslintrc\.json, \.github\/, Dockerfile, LICENSE, README\.md, server\.test\.js, test\//);
  });

  void test('no lockfile: the install is unpinned, and the file and the plan say so with the fix', () => {
    const plan = planInitConfig({ name: 'x', dependencies: { ms: '2' } }, { files: ['package.json', 'index.js'] });
    assert.equal(plan.buildRun, 'npm install --omit=dev');
    assert.match(plan.warnings.join('\n'), /no package-lock\.json: the build runs `npm install`.*run `npm install` to create the lockfile, commit it/);
    assert.match(renderInitConfig({ name: 'x', dependencies: { ms: '2' } }, { files: ['package.json', 'index.js'] }), /^# WARNING: no package-lock\.json/m);
    const pinned = planInitConfig({ name: 'x', dependencies: { ms: '2' } }, { files: ['package.json', 'package-lock.json', 'index.js'] });
    assert.equal(pinned.buildRun, 'npm ci --omit=dev');
    assert.deepEqual(pinned.warnings, []);
  });

  void test('a build to dist/ with start from src/: src/ is packed too, with the reason', () => {
    const pkg = { name: 'api', scripts: { build: 'node build.js', start: 'node src/server.js' } };
    const tracked = ['package.json', 'build.js', 'src/server.js', 'src/server.test.js', 'public/app.css'];
    const plan = planInitConfig(pkg, { files: ['package.json', 'build.js', 'src/', 'public/'], tracked });
    assert.deepEqual(plan.artifact, ['dist/', 'src/', 'package.json']);
    assert.ok(plan.artifactWhy.includes('src/ too: `npm start` runs src/server.js'), plan.artifactWhy.join('\n'));
    assert.equal(plan.buildRun, 'npm install && npm run build');
  });

  void test('no dependencies and no build: the source is the artifact, with no build command', () => {
    const c = loads({ name: 'tiny', scripts: { start: 'node index.js', test: 'node --test' } }, { files: ['package.json', 'index.js'] });
    assert.equal(c.build.run, undefined);
    assert.deepEqual(c.build.artifact, ['index.js', 'package.json']);
    assert.deepEqual(c.gates.map((g) => g.name), ['test', 'secrets']);
  });

  void test('a build whose output directory is not there yet is guessed, and says so', () => {
    const pkg = { name: 'web', scripts: { build: 'vite build' }, dependencies: { react: '18' } };
    const text = renderInitConfig(pkg, { files: ['package.json', 'src/'] });
    assert.match(text, /# dist\/ is a guess/);
    assert.match(text, /# WARNING: run\.command runs index\.js, which is not in the repository/, 'a guessed command that starts nothing is named');
    assert.deepEqual(loads(pkg, { files: ['package.json', 'src/'] }).build.artifact, ['dist/', 'package.json', 'node_modules/']);
    assert.deepEqual(planInitConfig(pkg, { files: ['package.json', 'build/'] }).artifact[0], 'build/');
  });

  void test('no health route in the source: / is probed, and the file says so', () => {
    const sources = [
      { path: 'server.js', text: "const r = await fetch('http://other/status');\nhttp.createServer((q, s) => s.end('hi'));\n" },
      { path: 'README.md', text: "app.get('/healthz')" },
    ];
    const text = renderInitConfig({ name: 'x' }, { files: ['package.json', 'server.js'], sources });
    assert.match(text, /# No health route found in the source \(looked for \/healthz, \/health, \/up, \/ready, \/status, \/ping\)/);
    assert.match(text, /^ {2}health: \{ path: \/, interval: 1s \}/m);
  });

  void test('the production verification says what it costs per release and how to shorten it', () => {
    const text = renderInitConfig({ name: 'x' }, { files: ['package.json', 'index.js'] });
    assert.match(text, /# Time per release: 10s at 10%, 10s at 50%, then the 2m window at 100%:/);
    assert.match(text, /about 2 min 20 s from the first canary to done, up to 6 min 20 s when traffic is too thin/);
    assert.match(text, /Shorter: a smaller window \(window: 1m\)/);
  });

  void test('the allowlist suggested for the secret scan is a committed file, not under .slipway/', () => {
    const text = renderInitConfig({ name: 'x' }, { files: ['package.json', 'index.js'] });
    assert.match(text, /a false positive\? list it in slipway-allowlist\.yaml \(committed\)/);
    assert.doesNotMatch(text, /\.slipway\//);
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
