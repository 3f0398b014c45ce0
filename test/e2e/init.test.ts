// Given a typical Node service with build, test and start scripts, when a newcomer runs
// `slipway init`, commits, then `slipway run` and `slipway deploy staging`, then both work with no edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempRepo } from './harness.js';

test('init → commit → run → deploy staging, with no edits', async () => {
  const repo = new TempRepo();
  try {
    repo.write({
      'package.json': JSON.stringify({ name: '@acme/Shop_API', version: '1.0.0', type: 'module', scripts: { build: 'node build.js', test: 'node --test', start: 'node dist/server.js' } }, null, 2),
      'package-lock.json': JSON.stringify({ name: '@acme/Shop_API', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: '@acme/Shop_API', version: '1.0.0' } } }, null, 2),
      'build.js': "import { mkdirSync, copyFileSync } from 'node:fs'; mkdirSync('dist', { recursive: true }); copyFileSync('server.js', 'dist/server.js');\n",
      'server.js': "import { createServer } from 'node:http'; createServer((q, r) => r.end(q.url === '/healthz' ? 'ok' : 'shop')).listen(Number(process.env.PORT), '127.0.0.1');\n",
      'server.test.js': "import { test } from 'node:test'; import assert from 'node:assert'; test('truth', () => assert.ok(true));\n",
    });
    repo.commit('a shop');
    const init = await repo.cli(['init']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /wrote slipway\.yaml/);
    const yaml = readFileSync(join(repo.dir, 'slipway.yaml'), 'utf8');
    assert.match(yaml, /^app: shop-api$/m);
    assert.match(readFileSync(join(repo.dir, '.gitignore'), 'utf8'), /^\.slipway\/$/m);
    const again = await repo.cli(['init']);
    assert.equal(again.code, 2, 'does not overwrite without --force');
    repo.commit('Add Slipway');

    const run = await repo.cli(['run']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /✔ run r1 passed/);
    const deploy = await repo.cli(['deploy', 'staging']);
    assert.equal(deploy.code, 0, deploy.stderr + deploy.stdout);
    const status = JSON.parse((await repo.cli(['status', '--json'])).stdout) as { environments: { env: string; url: string }[] };
    const url = status.environments.find((e) => e.env === 'staging')?.url ?? '';
    assert.equal(await (await fetch(url)).text(), 'shop');
  } finally {
    await repo.dispose();
  }
});
