// Given a slipway.yaml that a hostile pusher wrote, then it is refused with a clear error at the
// key's line, before the schema or anything after it sees the data.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CONFIG_BYTES } from './hostile.js';
import { loadConfig } from './load.js';

const HEAD = ['app: shop', 'build:', '  artifact: [dist/]', 'run:', '  command: node dist/server.js'];
const load = (...lines: string[]) => loadConfig('slipway.yaml', [...HEAD, ...lines, ''].join('\n'));

describe('hostile keys in slipway.yaml', () => {
  test('loader and injection variables in every env: map are refused, each at its line, with the --allow-unsafe way out', () => {
    const r = load(
      'gates:',
      '  test:',
      '    run: npm test',
      '    env: { LD_PRELOAD: /tmp/x.so }',
      'environments:',
      '  staging:',
      '    env:',
      '      NODE_OPTIONS: --require /tmp/evil.js',
      '      PATH: /tmp/bin',
      '      BASH_ENV: /tmp/rc',
      '      GREETING: hello',
    );
    assert.equal(r.config, undefined);
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.line]),
      [['gates.test.env.LD_PRELOAD', 9], ['environments.staging.env.NODE_OPTIONS', 13], ['environments.staging.env.PATH', 14], ['environments.staging.env.BASH_ENV', 15]],
    );
    for (const e of r.errors) {
      assert.match(e.message, /changes which code a process loads or runs; slipway.yaml cannot set it/);
      assert.match(e.hint ?? '', /slipway config set ENV KEY=VALUE --allow-unsafe/);
    }
    const build = loadConfig('slipway.yaml', 'app: shop\nbuild:\n  artifact: [dist/]\n  env: { LD_AUDIT: /tmp/a.so }\nrun:\n  command: x\n');
    assert.equal(build.errors[0]?.path, 'build.env.LD_AUDIT');
  });

  test('JavaScript object keys are refused anywhere in the file, even where the YAML parser would have dropped them silently', () => {
    const r = load('environments:', '  staging:', '    env:', '      __proto__: { polluted: yes }', '  constructor:', '    port: 8080');
    assert.equal(r.config, undefined);
    assert.deepEqual(r.errors.map((e) => e.path), ['environments.staging.env.__proto__', 'environments.constructor']);
    assert.match(r.errors[0]?.message ?? '', /"__proto__" is a JavaScript object key/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing was polluted');
  });

  test('the same names elsewhere than an env: map are not variables and pass (a label, a path)', () => {
    const r = load('environments:', '  staging:', '    alerts: { match: { PATH: api } }');
    assert.deepEqual(r.errors, []);
  });
});

describe('environment names in slipway.yaml', () => {
  test('a name the CLI, the proxy or the runtime would refuse is refused here, with the rule', () => {
    for (const bad of ['Prod', 'pr.12', '-x', 'x'.repeat(64)]) {
      const r = load('environments:', `  ${JSON.stringify(bad)}:`, '    port: 8080');
      assert.equal(r.config, undefined, bad);
      assert.match(JSON.stringify(r.errors), /lower-case letters, digits, - and _, starting with a letter or digit, at most 63 characters/, bad);
    }
    assert.deepEqual(load('environments:', `  ${'x'.repeat(63)}:`, '    port: 8080').errors, []);
  });
});

describe('the size of slipway.yaml', () => {
  test('a text over 1 MiB is refused with its size, before parsing (the rest of the file is not looked at)', () => {
    const big = `${HEAD.join('\n')}\n# ${'x'.repeat(MAX_CONFIG_BYTES)}\n: : not yaml [\n`;
    const r = loadConfig('slipway.yaml', big);
    assert.equal(r.config, undefined);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]?.message ?? '', new RegExp(`^the file is 1\\.0 MiB \\(${Buffer.byteLength(big)} bytes\\); at most 1\\.0 MiB \\(1048576 bytes\\) is accepted$`));
  });

  test('a file over 1 MiB on disk is refused with its size; exactly 1 MiB is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-size-'));
    try {
      const file = join(dir, 'slipway.yaml');
      const head = `${HEAD.join('\n')}\n`;
      writeFileSync(file, `${head}#${'x'.repeat(3 * MAX_CONFIG_BYTES)}\n`);
      assert.match(loadConfig(file).errors[0]?.message ?? '', /^the file is 3\.0 MiB \(3145\d+ bytes\)/);
      writeFileSync(file, `${head}#${'x'.repeat(MAX_CONFIG_BYTES - head.length - 2)}\n`);
      assert.deepEqual(loadConfig(file).errors, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
