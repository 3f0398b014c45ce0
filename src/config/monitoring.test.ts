// The monitoring keys of slipway.yaml: alerts per environment, prometheus, alertmanager and
// notifications — their normalised forms and every malformed one, with its path and message.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigIssue, loadConfig, type ConfigIssue } from './load.js';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';
const HEAD = ['app: hello', 'build:', '  artifact: [dist/]', 'run: { command: node server.js }'];

function ok(text: string) {
  const { config, errors, warnings } = loadConfig('slipway.yaml', text);
  assert.deepEqual([...errors, ...warnings].map(formatConfigIssue), []);
  assert.ok(config);
  return config;
}

function only(text: string): ConfigIssue {
  const { errors, config } = loadConfig('slipway.yaml', text);
  assert.equal(config, undefined);
  assert.equal(errors.length, 1, errors.map(formatConfigIssue).join('\n'));
  return errors[0] as ConfigIssue;
}

describe('alerts', () => {
  test('matchers become equal and regex matchers; protect becomes ms', () => {
    const c = ok(yaml(...HEAD, 'environments:', '  production:', '    alerts:', '      match: { team: web, severity: "/critical|page/" }', '      protect: 10m'));
    assert.deepEqual(c.environments[0]?.alerts, {
      enabled: true,
      match: [
        { label: 'team', kind: 'equal', value: 'web' },
        { label: 'severity', kind: 'regex', pattern: 'critical|page' },
      ],
      protectMs: 600_000,
    });
  });

  test('by default an environment takes the alerts labelled env: <its name>; false takes none', () => {
    const c = ok(yaml(...HEAD, 'environments:', '  staging:', '  production: { alerts: false }'));
    assert.deepEqual(c.environments[0]?.alerts, { enabled: true, match: [{ label: 'env', kind: 'equal', value: 'staging' }], protectMs: 900_000 });
    assert.deepEqual(c.environments[1]?.alerts, { enabled: false });
  });

  test('a regex that does not compile is refused at its key', () => {
    const e = only(yaml(...HEAD, 'environments:', '  production:', '    alerts: { match: { severity: "/crit(/" } }'));
    assert.equal(e.path, 'environments.production.alerts.match.severity');
    assert.match(e.message, /invalid regular expression \/crit\(\/: .*/);
  });

  test('a label name Prometheus would refuse is refused', () => {
    const e = only(yaml(...HEAD, 'environments:', '  production:', '    alerts: { match: { "my-label": x } }'));
    assert.match(`${e.path} ${e.message} ${e.expected ?? ''}`, /alerts\.match.*Prometheus label name/);
  });

  test('an unknown key under alerts suggests the right one', () => {
    const e = only(yaml(...HEAD, 'environments:', '  production:', '    alerts: { protection: 5m }'));
    assert.equal(e.message, 'unknown key "protection"');
    assert.equal(e.hint, 'did you mean "protect"?');
  });
});

describe('prometheus and alertmanager', () => {
  test('prometheus defaults to 127.0.0.1:9090 with a 5 s timeout', () => {
    assert.deepEqual(ok(yaml(...HEAD)).prometheus, { url: 'http://127.0.0.1:9090', timeoutMs: 5000 });
    assert.deepEqual(ok(yaml(...HEAD, 'prometheus: { url: "http://prom:9090/x", timeout: 2s }')).prometheus, { url: 'http://prom:9090/x', timeoutMs: 2000 });
  });

  test('a Prometheus URL that is not http(s) is refused', () => {
    const e = only(yaml(...HEAD, 'prometheus: { url: "prom:9090" }'));
    assert.equal(e.path, 'prometheus.url');
    assert.match(e.message, /not an http\(s\) URL/);
  });

  test('an unknown placeholder in a prometheus query is refused', () => {
    const e = only(yaml(...HEAD, 'environments:', '  production:', '    verify:', '      checks:', "        - { prometheus: 'up{release=\"{{relase}}\"}', below: 1 }"));
    assert.equal(e.path, 'environments.production.verify.checks[0].prometheus');
    assert.match(e.message, /unknown placeholder \{\{relase\}\} in the query/);
  });

  test('alertmanager names server variables, never secrets', () => {
    assert.deepEqual(ok(yaml(...HEAD, 'alertmanager: { token_env: SLIPWAY_ALERT_TOKEN, secret_env: SLIPWAY_ALERT_KEY }')).alertmanager, { tokenEnv: 'SLIPWAY_ALERT_TOKEN', secretEnv: 'SLIPWAY_ALERT_KEY' });
    const e = only(yaml(...HEAD, 'alertmanager: { token_env: "s3cr3t-t0ken!" }'));
    assert.equal(e.path, 'alertmanager.token_env');
    assert.match(`${e.message} ${e.expected ?? ''}`, /the name of an environment variable .*not the secret itself/);
  });

  test('token_env and secret_env must name SLIPWAY_ variables: a pushed slipway.yaml cannot point them at other server variables', () => {
    for (const [field, name] of [['token_env', 'AWS_SECRET_ACCESS_KEY'], ['secret_env', 'MASTER_KEY'], ['token_env', 'slipway_token'], ['secret_env', 'SLIPWAY_'], ['secret_env', 'SLIPWAY_MASTER_KEY'], ['token_env', 'SLIPWAY_MASTER_KEY_FILE']] as const) {
      const e = only(yaml(...HEAD, `alertmanager: { ${field}: ${name} }`));
      assert.equal(e.path, `alertmanager.${field}`);
      assert.match(`${e.message} ${e.expected ?? ''}`, /starting with SLIPWAY_/);
    }
    const n = only(yaml(...HEAD, 'notifications: [{ url: "https://x.example", secret_env: HOME }]'));
    assert.equal(n.path, 'notifications[0].secret_env');
    assert.match(`${n.message} ${n.expected ?? ''}`, /starting with SLIPWAY_/);
  });
});

describe('notifications', () => {
  test('events default to every outcome; secret_env is kept by name', () => {
    const c = ok(yaml(...HEAD, 'notifications:', '  - { url: "https://hooks.example.com/a", secret_env: SLIPWAY_HOOK_KEY }', '  - { url: "http://127.0.0.1:8000/b", events: [rolled_back] }'));
    assert.deepEqual(c.notifications, [
      { url: 'https://hooks.example.com/a', events: ['succeeded', 'failed', 'rolled_back', 'held'], secretEnv: 'SLIPWAY_HOOK_KEY' },
      { url: 'http://127.0.0.1:8000/b', events: ['rolled_back'] },
    ]);
  });

  test('an unknown event is refused with the known ones', () => {
    const e = only(yaml(...HEAD, 'notifications:', '  - { url: "https://h.example.com", events: [deployed] }'));
    assert.equal(e.path, 'notifications[0].events[0]');
    assert.match(e.expected ?? e.message, /succeeded.*failed.*rolled_back/);
  });

  test('a URL that is not one, and an empty event list, are refused', () => {
    assert.equal(only(yaml(...HEAD, 'notifications: [{ url: "ftp://x" }]')).path, 'notifications[0].url');
    assert.match(only(yaml(...HEAD, 'notifications: [{ url: "https://x.example", events: [] }]')).message, /must not be empty|at least one event/);
  });

  test('a literal secret instead of a variable name is refused', () => {
    const e = only(yaml(...HEAD, 'notifications: [{ url: "https://x.example", secret_env: "hunter2 with spaces" }]'));
    assert.equal(e.path, 'notifications[0].secret_env');
  });
});
