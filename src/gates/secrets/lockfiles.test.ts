// False positives on real lockfiles: the lockfiles and manifests of three published apps
// (test/fixtures/lockfiles, see its README) hold package names, versions, URLs and integrity
// hashes — none of them a secret — while a real credential beside a dependency is still found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDependencyValue } from './generic.js';
import { scanFiles, scanText } from './index.js';

const FIXTURES = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../../..'), 'test/fixtures/lockfiles');
const apps = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

test('the fixtures are there: three apps, each with its package.json and package-lock.json', () => {
  assert.deepEqual(apps.sort(), ['json-server-0.17.4', 'node-red-5.0.7', 'verdaccio-6.0.5']);
});

test('the real lockfiles and manifests of popular apps have no finding, in the source and in an artifact', async () => {
  const files = apps.flatMap((app) => ['package.json', 'package-lock.json'].map((f) => ({ path: `${app}/${f}`, content: readFileSync(join(FIXTURES, app, f)) })));
  const report = await scanFiles(files);
  assert.equal(report.stats.filesScanned, 6, 'every file was scanned, none skipped as too large');
  assert.deepEqual(report.findings, []);
  // In an artifact the same files sit at the root of the archive.
  for (const f of files) assert.deepEqual(scanText(f.path.split('/').pop() ?? '', f.content.toString('utf8')), [], f.path);
});

test('a dependency named like a password with a prerelease version is a dependency', () => {
  const lock = JSON.stringify({ packages: { '': { dependencies: { 'verdaccio-htpasswd': '13.0.0-next-8.7', 'express-htpasswd': '^1.0.0-beta.3', 'my-token': 'npm:tokenizer@2.0.0-rc.1+b7' } } } }, null, 2);
  assert.deepEqual(scanText('package-lock.json', lock), []);
  assert.deepEqual(scanText('packages/api/package.json', lock), []);
  assert.deepEqual(scanText('pnpm-lock.yaml', 'importers:\n  .:\n    dependencies:\n      express-htpasswd:\n        specifier: ^1.0.0-beta.3\n        version: 1.0.0-beta.3\n'), []);
  assert.ok(isDependencyValue('sha512-8kB1bVL0J9mYxq1Hc3w8XgPqT0kR2bS4uVtWzA+/Z9vZ1Q8w2rG5nH7yK3mP6dF4sJ1aL0eC9bN2xV5uT8qW3A==', 'anywhere.js'), 'an integrity hash');
});

test('a real secret next to dependencies is still found, and a version-shaped password outside a manifest too', () => {
  const manifest = '{\n  "dependencies": { "express-htpasswd": "^1.0.0-beta.3" },\n  "config": { "db_password": "Vx9#kQ2!mZ7pLw" }\n}\n';
  assert.deepEqual(scanText('package.json', manifest).map((f) => [f.line, f.rule]), [[3, 'generic-secret']]);
  assert.equal(scanText('config.js', 'const admin_password = "1.0.0-Kq9ZxW";').length, 1, 'only manifests and lockfiles hold versions');
});
