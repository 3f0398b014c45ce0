// Every malformed slipway.yaml we know of, each asserted at its exact line, column and path.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigIssue, loadConfig, type ConfigIssue } from './load.js';

/** Lines joined with \n, so that line numbers in the tests are easy to count. */
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

const HEAD = ['app: hello', 'build:', '  artifact: [dist/]'];

function only(text: string): ConfigIssue {
  const { errors, config } = loadConfig('slipway.yaml', text);
  assert.equal(config, undefined, 'a config with errors must not be returned');
  assert.equal(errors.length, 1, `expected one error, got:\n${errors.map(formatConfigIssue).join('\n')}`);
  return errors[0]!;
}

function at(issue: ConfigIssue, line: number, column: number, path: string): void {
  assert.deepEqual({ line: issue.line, column: issue.column, path: issue.path }, { line, column, path }, formatConfigIssue(issue));
}

void describe('loadConfig: verify.probe', () => {
  const env = (probe: string) => yaml(...HEAD, 'run: { command: x }', 'environments:', '  staging:', '    verify:', `      probe: ${probe}`);
  void test('a path without a leading slash, a method that changes things, or an unknown key is refused at its place', () => {
    const path = only(env('{ path: healthz }'));
    at(path, 8, 22, 'environments.staging.verify.probe.path');
    assert.match(path.expected ?? '', /starting with \//);
    const method = only(env('{ method: POST }'));
    at(method, 8, 24, 'environments.staging.verify.probe.method');
    assert.match(`${method.message} ${method.expected ?? ''}`, /GET.*HEAD/);
    assert.match(only(env('{ paht: /x }')).path, /^environments\.staging\.verify\.probe/);
  });
});

void describe('loadConfig: build.keep', () => {
  const keep = (value: string) => yaml('app: hello', 'build:', '  artifact: [dist/]', `  keep: ${value}`);
  void test('an unknown kind, a single string or a non-list is refused at its place', () => {
    const unknown = only(keep('[maps]'));
    at(unknown, 4, 10, 'build.keep[0]');
    assert.match(`${unknown.message} ${unknown.expected ?? ''}`, /source-maps/);
    assert.equal(only(keep('tests')).path, 'build.keep');
    assert.equal(only(keep('{ tests: true }')).path, 'build.keep');
  });
  void test('the known kinds load', () => {
    assert.deepEqual(loadConfig('slipway.yaml', keep('[tests, source-maps]')).config?.build.keep, ['tests', 'source-maps']);
  });
});

void describe('loadConfig: YAML itself', () => {
  void test('a syntax error gives the line and column of the parser', () => {
    const e = only(yaml('app: hello', 'build:', '  artifact: [dist/', 'run: { command: x }'));
    at(e, 4, 1, '');
    assert.match(e.message, /Flow sequence/);
    assert.equal(e.hint, 'check the indentation and the closing bracket');
  });

  void test('a duplicate key is refused where the second one is', () => {
    const e = only(yaml(...HEAD, 'app: again'));
    at(e, 4, 1, '');
    assert.match(e.message, /unique/);
  });

  void test('an empty file, or one of comments only, asks for slipway init', () => {
    for (const text of ['', '# nothing yet\n']) {
      const e = only(text);
      at(e, 1, 1, '');
      assert.equal(e.message, 'the file is empty');
      assert.match(e.hint ?? '', /slipway init/);
    }
  });

  void test('a file that is not a map says what it is', () => {
    const e = only('- app: hello\n');
    at(e, 1, 1, '');
    assert.equal(e.message, 'expected a map, got a list');
  });

  void test('a list used as a key is refused where it starts', () => {
    const e = only(yaml(...HEAD, '? [a, b]', ': 1'));
    at(e, 4, 3, '');
    assert.equal(e.message, 'a key must be a plain name, not a list or a map');
  });

  void test('an alias inside the value it names is refused, not followed forever', () => {
    const e = only(yaml(...HEAD, 'gates: &g', '  t: { run: x, needs: *g }'));
    at(e, 5, 23, '');
    assert.equal(e.message, 'alias *g refers to a value that contains it');
  });

  void test('merge keys share settings between entries', () => {
    const { config, errors } = loadConfig(
      'slipway.yaml',
      yaml(...HEAD, 'gates:', '  unit: &cmd { run: npm test, timeout: 2m, needs: [] }', '  e2e: { <<: *cmd, run: npm run e2e }'),
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(config?.gates.map((g) => [g.name, g.kind === 'command' && g.run, g.timeoutMs, g.needs]), [
      ['unit', 'npm test', 120_000, []],
      ['e2e', 'npm run e2e', 120_000, []],
    ]);
  });

  void test('an alias to an undefined anchor is an error, not a crash', () => {
    const { errors } = loadConfig('slipway.yaml', yaml(...HEAD, 'run: *nowhere'));
    assert.equal(errors.length, 1);
  });
});

void describe('loadConfig: schema', () => {
  void test('an unknown key at the top suggests the known one', () => {
    const e = only(yaml(...HEAD, 'enviroments:', '  staging: {}'));
    at(e, 4, 1, '');
    assert.equal(e.message, 'unknown key "enviroments"');
    assert.equal(e.hint, 'did you mean "environments"?');
    assert.match(e.expected ?? '', /^one of app, pipeline, build, gates, run, environments, prometheus, alertmanager, notifications, retention$/);
  });

  void test('an unknown key inside a strategy names the union and the closest key', () => {
    const e = only(
      yaml(...HEAD, 'run: { command: npm start }', 'environments:', '  production:', '    strategy:', '      canery: [10%, 100%]'),
    );
    at(e, 8, 7, 'environments.production.strategy');
    assert.equal(
      formatConfigIssue(e),
      'slipway.yaml:8:7 environments.production.strategy: unknown key "canery"\n' +
        '  expected: one of blue-green, { canary: [...] }\n' +
        '  hint: did you mean "canary"?',
    );
  });

  void test('a misspelt key does not also report the key it was meant to be as missing', () => {
    const e = only(yaml('app: hello', 'build:', '  artefact: [dist/]'));
    at(e, 3, 3, 'build');
    assert.equal(e.hint, 'did you mean "artifact"?');
  });

  void test('a wrong type says what was expected and what was found', () => {
    const e = only(yaml('app: hello', 'build:', '  artifact: dist/'));
    at(e, 3, 13, 'build.artifact');
    assert.equal(e.message, 'expected a list, got a string');
  });

  void test('a missing required key points at the map that lacks it', () => {
    const e = only(yaml('app: hello', 'build:', '  run: npm ci'));
    at(e, 2, 1, 'build.artifact');
    assert.equal(e.message, 'missing required key "artifact"');
  });

  void test('an empty artifact list is refused', () => {
    const e = only(yaml('app: hello', 'build:', '  artifact: []'));
    at(e, 3, 13, 'build.artifact');
    assert.equal(e.message, 'must not be empty');
  });

  void test('a bad app name shows the allowed form', () => {
    const e = only(yaml('app: Hello World', 'build:', '  artifact: [dist/]'));
    at(e, 1, 6, 'app');
    assert.equal(e.expected, 'an app name: lowercase letters, digits and -');
  });

  void test('a quoted number is refused with a hint to unquote it', () => {
    const e = only(yaml(...HEAD, 'run: { command: x }', 'environments:', '  staging: { port: "8080" }'));
    at(e, 6, 20, 'environments.staging.port');
    assert.equal(e.hint, 'write the number without quotes');
  });

  void test('an impossible date in an audit ignore entry', () => {
    const e = only(yaml(...HEAD, 'gates:', '  deps:', '    audit:', '      ignore: [{ id: GHSA-1, reason: r, expires: 2024-13-45 }]'));
    at(e, 7, 50, 'gates.deps.audit.ignore[0].expires');
    assert.equal(e.message, 'not a real date');
  });

  void test('empty gates and environments sections are accepted as empty', () => {
    const { config, errors } = loadConfig('slipway.yaml', yaml(...HEAD, 'gates:', '  # none yet', 'environments:'));
    assert.deepEqual(errors, []);
    assert.deepEqual([config?.gates, config?.environments], [[], []]);
  });

  void test('a bad environment name points at the name', () => {
    const e = only(yaml(...HEAD, 'run: { command: x }', 'environments:', '  Prod: {}'));
    at(e, 6, 3, 'environments.Prod');
    assert.equal(e.message, 'invalid name "Prod"');
  });

  void test('a gate with no command', () => {
    const e = only(yaml(...HEAD, 'gates:', '  test: { needs: [] }'));
    at(e, 5, 3, 'gates.test');
    assert.equal(e.message, 'gate has no command');
    assert.match(e.hint ?? '', /run: npm test/);
  });

  void test('a gate with a misspelt run reports the typo only', () => {
    const e = only(yaml(...HEAD, 'gates:', '  test: { rn: npm test }'));
    at(e, 5, 11, 'gates.test');
    assert.equal(e.hint, 'did you mean "run"?');
  });

  void test('a gate with two kinds at once points at the second', () => {
    const e = only(yaml(...HEAD, 'gates:', '  check:', '    run: npm test', '    scan: true'));
    at(e, 7, 5, 'gates.check.scan');
    assert.match(e.message, /both `run` and `scan`/);
  });

  void test('max_regression without compare', () => {
    const e = only(yaml(...HEAD, 'gates:', '  bench: { run: node b.js, max_regression: 10% }'));
    at(e, 5, 28, 'gates.bench.max_regression');
  });

  void test('env on a built-in gate', () => {
    const e = only(yaml(...HEAD, 'gates:', '  secrets: { scan: true, env: { A: b } }'));
    at(e, 5, 26, 'gates.secrets.env');
  });

  void test('a bad duration', () => {
    const e = only(yaml(...HEAD, 'pipeline:', '  timeout: 5 minutes'));
    at(e, 5, 12, 'pipeline.timeout');
    assert.equal(e.message, 'invalid value "5 minutes"');
    assert.match(e.expected ?? '', /500ms, 30s, 2m or 1h/);
  });

  void test('a negative duration in milliseconds', () => {
    const e = only(yaml(...HEAD, 'pipeline:', '  timeout: -5'));
    at(e, 5, 12, 'pipeline.timeout');
  });

  void test('a percentage above 100% and a fraction above 1', () => {
    const e = only(yaml(...HEAD, 'gates:', '  bench: { run: x, compare: baseline, max_regression: 150% }'));
    at(e, 5, 55, 'gates.bench.max_regression');
    const f = only(yaml(...HEAD, 'gates:', '  bench: { run: x, compare: baseline, max_regression: 10 }'));
    at(f, 5, 55, 'gates.bench.max_regression');
  });

  void test('an unknown enum value suggests the closest', () => {
    const e = only(yaml(...HEAD, 'run: { command: x }', 'environments:', '  staging: { deploy: automatic }'));
    at(e, 6, 22, 'environments.staging.deploy');
    assert.equal(e.expected, 'one of auto, manual');
  });

  void test('a misspelt strategy name', () => {
    const e = only(yaml(...HEAD, 'run: { command: x }', 'environments:', '  staging: { strategy: blue-gren }'));
    at(e, 6, 24, 'environments.staging.strategy');
    assert.equal(e.hint, 'did you mean "blue-green"?');
  });

  void describe('check expressions', () => {
    const checks = (c: string) =>
      yaml(...HEAD, 'run: { command: x }', 'environments:', '  staging:', '    verify:', '      checks:', '        - error_rate < 1%', `        - ${c}`);

    void test('a sentence that is not an expression', () => {
      const e = only(checks('error rate below 1%'));
      at(e, 10, 11, 'environments.staging.verify.checks[1]');
      assert.equal(formatConfigIssue(e).split('\n')[1], '  expected: `<metric> <op> <value>`, e.g. `error_rate < 1%`');
    });

    void test('an unknown metric suggests the closest', () => {
      const e = only(checks('p99_latncy < 300ms'));
      at(e, 10, 11, 'environments.staging.verify.checks[1]');
      assert.equal(e.hint, 'did you mean "p99_latency"?');
    });

    void test('a value in the wrong unit', () => {
      const e = only(checks('p99_latency < 1%'));
      assert.equal(e.message, 'invalid latency "1%" in check "p99_latency < 1%"');
      const f = only(checks('restarts < 1s'));
      assert.equal(f.expected, 'a plain number, without a unit');
    });

    void test('an equality comparison', () => {
      const e = only(checks('restarts == 0'));
      assert.match(e.message, /unknown comparison "=="/);
    });

    void test('a prometheus check without a bound', () => {
      const e = only(checks("prometheus: 'up'"));
      at(e, 10, 11, 'environments.staging.verify.checks[1]');
      assert.equal(e.message, 'a prometheus check needs a bound');
    });

    void test('a prometheus check with a misspelt bound', () => {
      const e = only(checks("{ prometheus: 'up', blow: 1 }"));
      at(e, 10, 31, 'environments.staging.verify.checks[1]');
      assert.equal(e.hint, 'did you mean "below"?');
    });

    void test('a number where a check goes', () => {
      const e = only(checks('42'));
      at(e, 10, 11, 'environments.staging.verify.checks[1]');
      assert.equal(e.message, 'unexpected value 42');
    });
  });
});

void describe('loadConfig: rules', () => {
  void test('approval: required with an optional approval_timeout; a timeout without required (it would do nothing) or of 0 is refused', () => {
    const ok = loadConfig('slipway.yaml', yaml(...HEAD, 'run:', '  command: node x', 'environments:', '  production:', '    approval: required', '    approval_timeout: 2h'));
    assert.deepEqual(ok.errors, []);
    const env = ok.config?.environments.find((x) => x.name === 'production');
    assert.deepEqual([env?.approval, env?.approvalTimeoutMs], ['required', 7_200_000]);
    const stub = only(yaml(...HEAD, 'run:', '  command: node x', 'environments:', '  production:', '    approval_timeout: 2h'));
    at(stub, 8, 23, 'environments.production.approval_timeout');
    assert.match(stub.message, /^approval_timeout does nothing without approval: required/);
    const zero = only(yaml(...HEAD, 'run:', '  command: node x', 'environments:', '  production:', '    approval: required', '    approval_timeout: 0s'));
    assert.match(zero.message, /^approval_timeout: 0 would reject every deployment at once/);
    const soon = only(yaml(...HEAD, 'run:', '  command: node x', 'environments:', '  production:', '    approval: required', '    approval_timeout: soon'));
    assert.equal(soon.message, 'invalid value "soon"');
    assert.equal(soon.path, 'environments.production.approval_timeout');
    assert.deepEqual(loadConfig('slipway.yaml', yaml(...HEAD, 'run:', '  command: node x', 'environments:', '  production:', '    approval: none')).errors, []);
  });

  void test('rollback: manual is accepted (a failed verification holds the release); anything but auto or manual is not', () => {
    const c = loadConfig('slipway.yaml', yaml(...HEAD, 'run:', '  command: node x', 'environments:', '  production:', '    rollback: manual'));
    assert.deepEqual(c.errors, []);
    assert.equal(c.config?.environments.find((e) => e.name === 'production')?.rollback, 'manual');
    const e = only(yaml(...HEAD, 'run:', '  command: node x', 'environments:', '  production:', '    rollback: later'));
    at(e, 8, 15, 'environments.production.rollback');
  });

  void test('needs naming an unknown step', () => {
    const e = only(yaml(...HEAD, 'gates:', '  test: { run: npm test }', '  e2e: { run: x, needs: [tset] }'));
    at(e, 6, 26, 'gates.e2e.needs[0]');
    assert.equal(e.hint, 'did you mean "test"?');
  });

  void test('needs forming a cycle names it', () => {
    const e = only(yaml(...HEAD, 'gates:', '  a: { run: x, needs: [b] }', '  b: { run: x, needs: [c] }', '  c: { run: x, needs: [a] }'));
    at(e, 5, 24, 'gates.a.needs[0]');
    assert.equal(e.message, 'needs form a cycle: a → b → c → a');
  });

  void test('a gate needing itself', () => {
    const e = only(yaml(...HEAD, 'gates:', '  a: { run: x, needs: [build, a] }'));
    at(e, 5, 31, 'gates.a.needs[1]');
    assert.equal(e.message, 'needs form a cycle: a → a');
  });

  void test('a gate named build', () => {
    const e = only(yaml(...HEAD, 'gates:', '  build: { run: x, needs: [] }'));
    at(e, 5, 3, 'gates.build');
  });

  void test('artifact paths that escape the repository or are absolute', () => {
    const { errors } = loadConfig('slipway.yaml', yaml('app: hello', 'build:', '  artifact:', '    - dist/', '    - ../shared', '    - /etc/passwd', '    - a/../../b'));
    assert.deepEqual(
      errors.map((e) => [e.line, e.column, e.path, e.message]),
      [
        [5, 7, 'build.artifact[1]', 'artifact path "../shared" leaves the repository'],
        [6, 7, 'build.artifact[2]', 'artifact path "/etc/passwd" is absolute'],
        [7, 7, 'build.artifact[3]', 'artifact path "a/../../b" leaves the repository'],
      ],
    );
  });

  void test('a path that goes down then up inside the repository is fine', () => {
    const { errors } = loadConfig('slipway.yaml', yaml('app: hello', 'build:', '  artifact: [a/../b, ./dist]'));
    assert.deepEqual(errors, []);
  });

  void test('environments need run.command', () => {
    const e = only(yaml(...HEAD, 'environments:', '  staging: {}'));
    at(e, 1, 1, 'run.command');
    const f = only(yaml(...HEAD, 'run:', '  instances: 2', 'environments:', '  staging: {}'));
    at(f, 4, 1, 'run.command');
  });

  const envs = (...lines: string[]) => yaml(...HEAD, 'run: { command: x }', 'environments:', ...lines);

  void test('promote_from naming an unknown environment', () => {
    const e = only(envs('  staging: {}', '  production: { promote_from: stagin }'));
    at(e, 7, 31, 'environments.production.promote_from');
    assert.equal(e.hint, 'did you mean "staging"?');
  });

  void test('promote_from naming itself', () => {
    const e = only(envs('  production: { promote_from: production }'));
    at(e, 6, 31, 'environments.production.promote_from');
  });

  void test('promote_from forming a loop', () => {
    const e = only(envs('  a: { promote_from: b }', '  b: { promote_from: a }'));
    at(e, 6, 22, 'environments.a.promote_from');
    assert.equal(e.message, 'promote_from forms a loop: a ← b ← a');
  });

  void test('the same port twice', () => {
    const e = only(envs('  staging: { port: 8080 }', '  production: { port: 8080 }'));
    at(e, 7, 23, 'environments.production.port');
    assert.equal(e.message, 'port 8080 is already used by environment "staging"');
  });

  void test('canary steps not ending at 100%', () => {
    const e = only(envs('  production:', '    strategy: { canary: [10%, 50%] }'));
    at(e, 7, 31, 'environments.production.strategy.canary[1]');
    assert.equal(e.message, 'the last canary step is 50%, not 100%');
  });

  void test('canary steps not increasing', () => {
    const e = only(envs('  production:', '    strategy: { canary: [50%, 0.1, 1] }'));
    at(e, 7, 31, 'environments.production.strategy.canary[1]');
    assert.equal(e.message, 'canary steps must increase: 10% comes after 50%');
  });

  void test('a window shorter than its interval', () => {
    const e = only(envs('  staging: { verify: { window: 1s, interval: 5s } }'));
    at(e, 6, 32, 'environments.staging.verify.window');
  });

  void test('a variable both in env and secrets', () => {
    const e = only(yaml(...HEAD, '  env: { DB_HOST: db }', '  secrets: [DB_HOST]'));
    at(e, 4, 10, 'build.env.DB_HOST');
  });

  void test('an expired audit ignore entry is a warning, not an error', () => {
    const text = yaml(...HEAD, 'gates:', '  deps:', '    audit:', '      ignore:', '        - { id: GHSA-1, reason: not reachable, expires: 2024-01-31 }');
    const before = loadConfig('slipway.yaml', text, { now: new Date('2024-01-15T00:00:00Z') });
    assert.deepEqual(before.warnings, []);
    const after = loadConfig('slipway.yaml', text, { now: new Date('2024-02-01T00:00:00Z') });
    assert.ok(after.config);
    assert.equal(after.warnings.length, 1);
    at(after.warnings[0]!, 8, 57, 'gates.deps.audit.ignore[0].expires');
  });

  void test('promoting from an unverified environment is a warning', () => {
    const { warnings, config } = loadConfig('slipway.yaml', envs('  staging: { verify: false }', '  production: { promote_from: staging }'));
    assert.ok(config);
    assert.equal(warnings.length, 1);
    at(warnings[0]!, 7, 31, 'environments.production.promote_from');
  });
});

void describe('loadConfig: secrets', () => {
  void test('a literal value of a variable named like a secret', () => {
    const e = only(yaml(...HEAD, '  env:', '    NPM_TOKEN: abc123'));
    at(e, 5, 16, 'build.env.NPM_TOKEN');
    assert.match(e.hint ?? '', /slipway secrets set <env> NPM_TOKEN/);
    assert.doesNotMatch(formatConfigIssue(e), /abc123/);
  });

  void test('an environment secret names the environment in the hint', () => {
    const e = only(yaml(...HEAD, 'run: { command: x }', 'environments:', '  production:', '    env: { STRIPE_API_KEY: sk_test_x }'));
    at(e, 7, 28, 'environments.production.env.STRIPE_API_KEY');
    assert.match(e.hint ?? '', /`slipway secrets set production STRIPE_API_KEY`/);
  });

  void test('credential formats anywhere, even in a command', () => {
    const key = 'AKIA' + 'ABCDEFGHIJKLMNOP';
    const e = only(yaml(...HEAD, 'gates:', `  upload: { run: "aws --key ${key} s3 cp" }`));
    at(e, 5, 18, 'gates.upload.run');
    assert.match(e.message, /AWS access key/);
    assert.doesNotMatch(formatConfigIssue(e), new RegExp(key));
  });

  void test('a private key block', () => {
    const e = only(yaml(...HEAD, '  env:', '    CERT: |', '      -----BEGIN RSA PRIVATE KEY-----', '      MIIB', '      -----END RSA PRIVATE KEY-----'));
    at(e, 5, 11, 'build.env.CERT');
    assert.match(e.message, /private key/);
  });

  void test('secrets are reported even when the rest of the file does not fit', () => {
    const { errors } = loadConfig('slipway.yaml', yaml('app: hello', 'build:', '  env: { GITHUB_TOKEN: x }'));
    assert.deepEqual(
      errors.map((e) => e.path),
      ['build.artifact', 'build.env.GITHUB_TOKEN'],
    );
  });

  void test('names of secrets, numbers and empty values are not secrets', () => {
    const { errors } = loadConfig('slipway.yaml', yaml(...HEAD, '  env: { TOKEN_TTL: 3600, PASSWORD_HINT: "" }', '  secrets: [NPM_TOKEN]'));
    assert.deepEqual(errors, []);
  });
});

void describe('formatConfigIssue', () => {
  void test('leaves out the path and the extra lines when there are none', () => {
    assert.equal(formatConfigIssue({ file: 'x.yaml', line: 1, column: 2, path: '', message: 'boom' }), 'x.yaml:1:2 boom');
  });
});

void describe('loadConfig: the secret scan allowlist', () => {
  void test('an allowlist under .slipway/ is refused: a commit never holds it', () => {
    const e = only(yaml(...HEAD, 'gates:', '  secrets: { scan: { allowlist: ./.slipway/allowlist.yaml } }'));
    at(e, 5, 33, 'gates.secrets.scan.allowlist');
    assert.match(e.message, /under \.slipway\/, which is never committed/);
    assert.match(e.hint ?? '', /slipway-allowlist\.yaml/);
    const ok = loadConfig('slipway.yaml', yaml(...HEAD, 'gates:', '  secrets: { scan: { allowlist: slipway-allowlist.yaml } }'));
    assert.deepEqual(ok.errors, []);
  });
});

describe('a file on disk', () => {
  test('a missing file is one issue, "file not found"', () => {
    const r = loadConfig('/nonexistent/slipway-config-test/slipway.yaml');
    assert.equal(r.config, undefined);
    assert.equal(r.errors[0]?.message, 'file not found');
  });
});
