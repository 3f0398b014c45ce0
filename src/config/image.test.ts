import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './load.js';

const config = (build: string, envs = '  staging: {}\n') => `app: shop\nbuild:\n  artifact: [dist/]\n${build}run:\n  command: node x\nenvironments:\n${envs}`;
const messages = (text: string): string[] => loadConfig('slipway.yaml', text).errors.map((e) => `${e.path}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);

test('build.image with build.registry gives the image target; runtime: docker is kept', () => {
  const r = loadConfig('slipway.yaml', config('  image: true\n  registry: 127.0.0.1:5000/team/shop\n', '  staging:\n    runtime: docker\n  production:\n    runtime: process\n'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config?.build.image, { registry: '127.0.0.1:5000', repository: 'team/shop' });
  assert.deepEqual(r.config?.environments.map((e) => e.runtime), ['docker', 'process']);
});

test('without build.image the build has no image target and its key is unchanged', () => {
  const off = loadConfig('slipway.yaml', config('  image: false\n'));
  assert.deepEqual(off.errors, []);
  assert.equal('image' in (off.config?.build ?? {}), false);
  assert.equal(off.config?.environments[0]?.runtime, undefined);
});

test('bad forms of build.image, build.registry, build.dockerfile and runtime are refused by name', () => {
  assert.ok(messages(config('  image: true\n')).some((m) => /build\.image: build\.image: true needs build\.registry/.test(m)));
  assert.ok(messages(config('  registry: registry.example.com/shop\n')).some((m) => /build\.registry: build\.registry does nothing without build\.image: true/.test(m)));
  assert.ok(messages(config('  image: yes-please\n')).some((m) => /build\.image/.test(m)));
  const bad: [string, RegExp][] = [
    ['https://registry.example.com/shop', /has a scheme/],
    ['registry.example.com', /is not host\[:port\]\/repository/],
    ['Registry.example.com/shop', /is not a registry host/],
    ['registry.example.com:99999/shop', /port 99999/],
    ['registry.example.com/shop:latest', /names a tag or a digest/],
    ['registry.example.com/shop@sha256:00', /names a tag or a digest/],
    ['registry.example.com/Shop', /lowercase path segments/],
    ['registry.example.com/shop//x', /lowercase path segments/],
  ];
  for (const [value, why] of bad) {
    const m = messages(config(`  image: true\n  registry: "${value}"\n`));
    assert.ok(m.some((x) => x.startsWith('build.registry') && why.test(x)), `${value}: ${m.join('\n')}`);
  }
  assert.ok(messages(config('  image: true\n  registry: r.example.com/shop\n  dockerfile: Dockerfile\n')).some((m) => /build\.dockerfile: building the image from a Dockerfile is not supported yet/.test(m)));
  assert.ok(messages(config('', '  staging:\n    runtime: docker\n')).some((m) => /environments\.staging\.runtime: runtime: docker needs build\.image: true/.test(m)));
  assert.ok(messages(config('', '  staging:\n    runtime: kubernetes\n')).some((m) => /environments\.staging\.runtime/.test(m)));
});
