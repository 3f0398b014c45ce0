// slipway.yaml and `slipway secrets` agree: declared secret names are the names `secrets set`
// accepts, the environment `ci` (pipeline secrets) is reserved, and literal secrets in
// `environments.<env>.env` are refused like anywhere else.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigIssue, loadConfig } from './load.js';

const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
const HEAD = ['app: hello', 'build:', '  artifact: [dist/]'];

const errorsOf = (text: string) => loadConfig('slipway.yaml', text).errors;

void describe('slipway.yaml and secret names', () => {
  void test('a lower-case secret name is refused where it is, saying what `secrets set` takes', () => {
    const errors = errorsOf(yaml('app: hello', 'build:', '  artifact: [dist/]', '  secrets: [npm_token]'));
    assert.equal(errors.length, 1, errors.map(formatConfigIssue).join('\n'));
    const e = errors[0];
    assert.equal(e?.path, 'build.secrets[0]');
    assert.equal(e?.line, 4);
    assert.match(e?.message ?? '', /invalid value "npm_token"/);
    assert.match(e?.expected ?? '', /as `slipway secrets set` takes it: upper-case letters, digits and _/);
    const gate = errorsOf(yaml(...HEAD, 'gates:', '  test: { run: x, secrets: [Api_Key, "9X"] }'));
    assert.deepEqual(gate.map((x) => x.path), ['gates.test.secrets[0]', 'gates.test.secrets[1]']);
  });

  void test('upper-case names load', () => {
    const { errors, config } = loadConfig('slipway.yaml', yaml(...HEAD, '  secrets: [NPM_TOKEN, _X1]'));
    assert.deepEqual(errors, []);
    assert.deepEqual(config?.build.secrets, ['NPM_TOKEN', '_X1']);
  });

  void test('the environment "ci" is reserved for pipeline secrets', () => {
    const errors = errorsOf(yaml(...HEAD, 'run: { command: node s.js }', 'environments:', '  ci: {}', '  staging: {}'));
    assert.equal(errors.length, 1, errors.map(formatConfigIssue).join('\n'));
    assert.equal(errors[0]?.path, 'environments.ci');
    assert.match(errors[0]?.message ?? '', /"ci" is reserved/);
  });

  void test('the environment "slipway-webhooks" is reserved for the webhook secret', () => {
    const errors = errorsOf(yaml(...HEAD, 'run: { command: node s.js }', 'environments:', '  slipway-webhooks: {}', '  staging: {}'));
    assert.equal(errors.length, 1, errors.map(formatConfigIssue).join('\n'));
    assert.equal(errors[0]?.path, 'environments.slipway-webhooks');
    assert.match(errors[0]?.message ?? '', /"slipway-webhooks" is reserved/);
  });

  void test('a literal secret under environments.<env>.env is refused with the environment in the hint, value not repeated', () => {
    const token = `ghp_${'A1b2'.repeat(9)}`;
    const errors = errorsOf(yaml(...HEAD, 'run: { command: node s.js }', 'environments:', '  staging:', `    env: { GH: ${token}, DB_PASSWORD: hunter2, GREETING: hello }`));
    assert.deepEqual(errors.map((e) => e.path).sort(), ['environments.staging.env.DB_PASSWORD', 'environments.staging.env.GH']);
    for (const e of errors) {
      assert.match(e.hint ?? '', /slipway secrets set staging (GH|DB_PASSWORD)/);
      assert.ok(!formatConfigIssue(e).includes(token) && !formatConfigIssue(e).includes('hunter2'));
    }
  });
});
