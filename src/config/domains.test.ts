import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './load.js';

const config = (envs: string) => `app: shop\nbuild:\n  artifact: [dist/]\nrun:\n  command: node x\nenvironments:\n${envs}`;

test('environments.<env>.domains: DNS names and leftmost wildcards are kept', () => {
  const r = loadConfig('slipway.yaml', config('  staging:\n    domains: [staging.shop.test, "*.preview.shop.test"]\n'));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config?.environments.find((e) => e.name === 'staging')?.domains, ['staging.shop.test', '*.preview.shop.test']);
});

test('environments.<env>.domains: bad names and a domain of two environments are refused, naming both', () => {
  const r = loadConfig('slipway.yaml', config('  staging:\n    domains: [Shop.test, "a.*.shop.test", 10.0.0.1]\n'));
  const messages = r.errors.map((e) => `${e.path}: ${e.message}`);
  assert.ok(messages.some((m) => /domains\[0\].*upper-case/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /domains\[1\].*leftmost/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /domains\[2\].*IP address/.test(m)), messages.join('\n'));
  const clash = loadConfig('slipway.yaml', config('  staging:\n    domains: [shop.test]\n  production:\n    domains: [shop.test]\n'));
  const clashes = clash.errors.map((e) => `${e.path}: ${e.message}`);
  assert.ok(clashes.some((m) => /production\.domains\[0\].*shop\.test is claimed by both environment "staging" and environment "production"/.test(m)), clashes.join('\n'));
});
