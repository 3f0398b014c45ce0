import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cacheRefusal, dependencyKey, splitInstall, type KeyInputs } from './dependency-cache.js';

void describe('splitInstall', () => {
  test('a leading npm ci with plain flags is the install; the rest runs after it', () => {
    assert.deepEqual(splitInstall('npm ci'), { install: 'npm ci', rest: undefined });
    assert.deepEqual(splitInstall('npm ci --omit=dev && npm run build && npm prune --omit=dev'), { install: 'npm ci --omit=dev', rest: 'npm run build && npm prune --omit=dev' });
    assert.deepEqual(splitInstall('  npm  ci --no-audit&&tsc'), { install: 'npm ci --no-audit', rest: 'tsc' });
  });
  test('anything a shell could read otherwise is not split', () => {
    for (const c of ['npm install', 'npm ci; npm run build', 'npm ci || true', 'npm ci | tee x', 'npm ci $FLAGS', "npm ci '--omit=dev'", 'npm ci --omit=dev x', 'npm ci &&', 'cd app && npm ci', 'npm ci > log', 'npm ci --x=$(id)', 'npm ci `id`']) {
      assert.equal(splitInstall(c), null, c);
    }
  });
});

const lock = (extra: Record<string, unknown> = {}): string => JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'a' }, 'node_modules/x': { version: '1.0.0' }, ...extra } });

void describe('cacheRefusal', () => {
  test('an ordinary manifest and lockfile may use the cache', () => {
    assert.equal(cacheRefusal(JSON.stringify({ name: 'a', scripts: { build: 'tsc', start: 'node .' } }), lock()), null);
  });
  test('no lockfile, bad JSON, root install scripts and links are refused with the reason', () => {
    assert.match(cacheRefusal('{}', undefined) ?? '', /no package-lock\.json/);
    assert.match(cacheRefusal('{', lock()) ?? '', /not valid JSON/);
    assert.match(cacheRefusal(undefined, lock()) ?? '', /not valid JSON/);
    assert.match(cacheRefusal(JSON.stringify({ scripts: { postinstall: 'patch-package', prepare: 'husky' } }), lock()) ?? '', /a "postinstall" script and a "prepare" script/);
    assert.match(cacheRefusal('{}', lock({ 'node_modules/w': { resolved: 'packages/w', link: true } })) ?? '', /links packages of the repository/);
  });
});

void describe('dependencyKey', () => {
  const base: KeyInputs = {
    install: 'npm ci', manifest: '{}', lockfile: lock(), npmrc: undefined, env: {}, secretNames: [],
    toolchain: { node: 'v20.1.0', modules: '115', platform: 'linux', arch: 'x64', npm: '10.0.0' },
  };
  test('the same inputs give the same key; each input changes it', () => {
    const k = dependencyKey(base);
    assert.match(k, /^[0-9a-f]{64}$/);
    assert.equal(dependencyKey({ ...base, env: {} }), k);
    const variants: KeyInputs[] = [
      { ...base, install: 'npm ci --omit=dev' },
      { ...base, manifest: '{"name":"b"}' },
      { ...base, lockfile: lock({ 'node_modules/y': { version: '2.0.0' } }) },
      { ...base, npmrc: 'registry=http://127.0.0.1/\n' },
      { ...base, env: { FOO: '1' } },
      { ...base, secretNames: ['NPM_TOKEN'] },
      { ...base, toolchain: { ...base.toolchain, modules: '120' } },
      { ...base, toolchain: { ...base.toolchain, node: 'v20.2.0' } },
      { ...base, toolchain: { ...base.toolchain, arch: 'arm64' } },
      { ...base, toolchain: { ...base.toolchain, platform: 'darwin' } },
      { ...base, toolchain: { ...base.toolchain, npm: '11.0.0' } },
    ];
    for (const v of variants) assert.notEqual(dependencyKey(v), k, JSON.stringify(v));
  });
});
