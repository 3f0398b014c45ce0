// The first hour on a new app, for two app shapes init used to get wrong. Given an app with no
// build step (`start: node server.js`, no health route) and one that builds to dist/ but starts
// from src/, when a newcomer runs `slipway init`, commits, `slipway run` and `slipway deploy
// staging`, then both work with no edit; the two apps get ports that do not clash; a slipway.yaml
// whose artifact misses the entry point fails its run with the fix; a real-shaped lockfile with a
// dependency named like a password passes the secret scan, and a secret in both the source and
// the artifact counts once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_STATE_DIR, TempRepo } from './harness.js';

interface Status {
  environments: { env: string; url: string; release?: string | null }[];
}

const stagingUrl = async (repo: TempRepo): Promise<string> => {
  const status = JSON.parse((await repo.cli(['status', '--json'])).stdout) as Status;
  const url = status.environments.find((e) => e.env === 'staging')?.url;
  assert.ok(url, 'staging has a URL');
  return url;
};

const portsIn = (yaml: string): number[] => [...yaml.matchAll(/^ {4}port: (\d+)/gm)].map((m) => Number(m[1]));

const registry = (): { homes: Record<string, { by: string; ports: Record<string, number> }> } =>
  JSON.parse(readFileSync(join(E2E_STATE_DIR, 'homes.json'), 'utf8')) as { homes: Record<string, { by: string; ports: Record<string, number> }> };

void describe('the first hour: init fits the app', () => {
  let plain: TempRepo;
  let built: TempRepo;

  before(() => {
    plain = new TempRepo().write({
      'package.json': JSON.stringify({ name: 'plain', version: '1.0.0', scripts: { start: 'node server.js', test: 'node --test' } }, null, 2),
      'server.js': "require('node:http').createServer((q, r) => r.end('plain ' + q.url)).listen(Number(process.env.PORT), '127.0.0.1');\n",
      'lib/greeting.js': "module.exports = 'hi';\n",
      'test/server.test.js': "const { test } = require('node:test'); test('truth', () => {});\n",
      'README.md': '# plain\n',
    });
    plain.commit('a plain app');
    built = new TempRepo().write({
      'package.json': JSON.stringify({ name: 'built', version: '1.0.0', scripts: { build: 'node build.js', start: 'node src/server.js' } }, null, 2),
      'build.js': "const fs = require('node:fs'); fs.mkdirSync('dist', { recursive: true }); fs.writeFileSync('dist/page.txt', 'built page');\n",
      'src/server.js': [
        "const { readFileSync } = require('node:fs');",
        "const { join } = require('node:path');",
        "const page = readFileSync(join(__dirname, '..', 'dist', 'page.txt'), 'utf8');",
        "require('node:http').createServer((q, r) => { if (q.url === '/healthz') return r.end('ok'); r.end(page); }).listen(Number(process.env.PORT), '127.0.0.1');",
        '',
      ].join('\n'),
    });
    built.commit('an app built to dist/ that starts from src/');
  });

  after(async () => {
    await Promise.all([plain.dispose(), built.dispose()]);
  });

  void test('init: no build step packs the tracked files but tests and probes /; a build to dist/ started from src/ packs src/; the two apps get ports that do not clash', async () => {
    const first = await plain.cli(['init']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /artifact: lib\/, server\.js, package\.json \(no build step: every tracked file the app runs from, without tests and dev files\)/);
    assert.match(first.stdout, /health: \/ \(no health route found in the source\)/);
    const plainYaml = readFileSync(join(plain.dir, 'slipway.yaml'), 'utf8');
    assert.match(plainYaml, /^ {2}artifact: \[lib\/, server\.js, package\.json\]$/m);
    assert.match(plainYaml, /^ {2}# left out: README\.md, test\/$/m);
    assert.match(plainYaml, /^ {2}health: \{ path: \/, interval: 1s \}/m);
    assert.match(plainYaml, /# Time per release: 10s at 10%, 10s at 50%, then the 2m window at 100%:/);

    const second = await built.cli(['init']);
    assert.equal(second.code, 0, second.stderr);
    const builtYaml = readFileSync(join(built.dir, 'slipway.yaml'), 'utf8');
    assert.match(builtYaml, /^ {2}artifact: \[dist\/, src\/, package\.json\]$/m);
    assert.match(builtYaml, /^ {2}# src\/ too: `npm start` runs src\/server\.js$/m);
    assert.match(builtYaml, /health: \{ path: \/healthz, interval: 1s \} +# found in src\/server\.js:4/);

    const [plainPorts, builtPorts] = [portsIn(plainYaml), portsIn(builtYaml)];
    assert.equal(builtPorts.length, 2);
    assert.deepEqual(builtPorts.filter((p) => plainPorts.includes(p)), [], `ports ${builtPorts.join(', ')} do not clash with ${plainPorts.join(', ')}`);
    const claims = Object.values(registry().homes).map((e) => [e.by, e.ports.staging, e.ports.production]);
    for (const ports of [plainPorts, builtPorts]) assert.ok(claims.some((c) => c[0] === 'init' && c[1] === ports[0] && c[2] === ports[1]), 'init claimed its ports in the registry');
    plain.commit('Add Slipway');
    built.commit('Add Slipway');
  });

  void test('run and deploy staging work unedited on both apps (at once: two homes, two control planes)', async () => {
    const firstHour = async (repo: TempRepo, expected: string): Promise<void> => {
      const run = await repo.cli(['run']);
      assert.equal(run.code, 0, run.stderr + run.stdout);
      const deploy = await repo.cli(['deploy', 'staging']);
      assert.equal(deploy.code, 0, deploy.stderr + deploy.stdout);
      assert.equal(await (await fetch(await stagingUrl(repo))).text(), expected);
    };
    await Promise.all([firstHour(plain, 'plain /'), firstHour(built, 'built page')]);
    const staging = portsIn(readFileSync(join(plain.dir, 'slipway.yaml'), 'utf8'))[0];
    const entry = Object.values(registry().homes).find((e) => e.ports.staging === staging);
    assert.equal(entry?.by, 'control-plane', 'the control plane recorded the port it serves on');
  });

  void test('bad commits fail their run with the fix: an artifact without the entry point (nothing deploys); a secret in source and artifact counts once, while a lockfile with a dependency named like a password passes', async () => {
    const entryOutside = async (): Promise<void> => {
      const yaml = readFileSync(join(built.dir, 'slipway.yaml'), 'utf8').replace('artifact: [dist/, src/, package.json]', 'artifact: [dist/, package.json]');
      built.write({ 'slipway.yaml': yaml }).commit('Pack only dist/');
      const run = await built.cli(['run']);
      assert.notEqual(run.code, 0);
      assert.match(run.stdout + run.stderr, /start runs src\/server\.js, which is not in build\.artifact \[dist\/, package\.json\]: add src\/ or change run\.command/);
      const history = await built.cli(['history', 'staging', '--json']);
      assert.equal((JSON.parse(history.stdout) as unknown[]).length, 1, 'only the first deployment');
      assert.equal(await (await fetch(await stagingUrl(built))).text(), 'built page', 'staging still serves the first release');
    };
    const lockfileAndLeak = async (): Promise<void> => {
      plain.write({
        'package-lock.json': JSON.stringify(
          {
            name: 'plain',
            version: '1.0.0',
            lockfileVersion: 3,
            requires: true,
            packages: {
              '': { name: 'plain', version: '1.0.0', dependencies: { 'express-htpasswd': '^2.1.0-beta.3' } },
              'node_modules/express-htpasswd': {
                version: '2.1.0-beta.3',
                resolved: 'https://registry.npmjs.org/express-htpasswd/-/express-htpasswd-2.1.0-beta.3.tgz',
                integrity: 'sha512-Qm3xR7vK1pL9wT2yB8nC4dF6gH0jZ5sA7eU3iO1kM9qW2rE4tY6uI8oP0aS2dF4gH6jK8lZ0xC2vB4nM6qW8eR==',
                dependencies: { 'apache-md5-passwd': '1.0.0-rc.7' },
              },
            },
          },
          null,
          2,
        ),
      });
      plain.commit('Lock dependencies');
      const clean = await plain.cli(['run']);
      assert.equal(clean.code, 0, clean.stderr + clean.stdout);

      plain.write({ 'server.js': `${readFileSync(join(plain.dir, 'server.js'), 'utf8')}const api_token = "Zq8vLk3Xw9PmT2rB7nC4";\n` });
      plain.commit('Oops, a token');
      const leaked = await plain.cli(['run']);
      assert.notEqual(leaked.code, 0);
      const out = leaked.stdout + leaked.stderr;
      assert.match(out, /1 credential\(s\) found \(in 2 places, source and artifact\)/);
      assert.doesNotMatch(out, /Zq8vLk3Xw9PmT2rB7nC4/, 'the secret itself is never shown');
    };
    await Promise.all([entryOutside(), lockfileAndLeak()]);
  });
});
