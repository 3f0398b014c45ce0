// The friendly forms of slipway.yaml and the normalised config each one becomes.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './load.js';
import type { SlipwayConfig } from './types.js';

/** The verification an environment gets by default: error rate under 1 % and p99 under `p99Ms`. */
const defaultVerify = (p99Ms: number) => ({
  enabled: true,
  windowMs: 30_000,
  intervalMs: 1000,
  failureLimit: 0,
  minSamples: 20,
  inconclusive: 'probe',
  checks: [
    { kind: 'threshold', metric: 'error_rate', op: '<', value: 0.01, source: 'error_rate < 1%' },
    { kind: 'threshold', metric: 'p99_latency', op: '<', value: p99Ms, source: `p99_latency < ${p99Ms}ms` },
  ],
  probe: { method: 'GET' },
});

/** The example of SPEC §4, with the prometheus check in our form (`below:` instead of `< 1`). */
const SPEC_EXAMPLE = `app: hello
build:
  run: npm ci && npm run build
  artifact: [dist/, package.json, package-lock.json, node_modules/]
gates:
  test:      { run: npm test }
  lint:      { run: npm run lint, needs: [] }
  secrets:   { scan: true }                      # built-in scanner: source tree and artifact
  deps:      { audit: { severity: high } }       # built-in, offline OSV database
  bench:     { run: node bench/http.js, compare: baseline, max_regression: 10% }
run:
  command: node dist/server.js                   # PORT is injected
  health: { path: /healthz, interval: 1s, timeout: 2s }
environments:
  staging:
    port: 8081
    deploy: auto                                 # every green main commit
    strategy: blue-green
    verify: { window: 30s, checks: [error_rate < 1%, p99_latency < 300ms] }
  production:
    port: 8080
    promote_from: staging                        # only digests verified there
    approval: none
    strategy: { canary: [10%, 50%, 100%] }
    verify:
      window: 2m
      checks:
        - error_rate < 0.5%
        - p99_latency < 250ms
        - compare: baseline                      # canary vs stable, statistical
        - prometheus: 'sum(rate(http_errors_total{release="{{release}}"}[1m]))'
          below: 1
    rollback: auto
`;

function load(text: string): SlipwayConfig {
  const { config, errors, warnings } = loadConfig('slipway.yaml', text);
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.ok(config);
  return config;
}

void describe('normalise', () => {
  void test('the SPEC §4 example', () => {
    const c = load(SPEC_EXAMPLE);
    assert.equal(c.app, 'hello');
    assert.deepEqual(c.pipeline, { concurrency: 2, timeoutMs: 15 * 60_000 });
    assert.deepEqual(c.build, {
      run: 'npm ci && npm run build',
      artifact: ['dist/', 'package.json', 'package-lock.json', 'node_modules/'],
      timeoutMs: 15 * 60_000,
      env: {},
      secrets: [],
      keep: [],
    });
    const t = 15 * 60_000;
    assert.deepEqual(c.gates, [
      { name: 'test', needs: ['build'], timeoutMs: t, kind: 'command', run: 'npm test', env: {}, secrets: [], retries: 0 },
      { name: 'lint', needs: [], timeoutMs: t, kind: 'command', run: 'npm run lint', env: {}, secrets: [], retries: 0 },
      { name: 'secrets', needs: ['build'], timeoutMs: t, kind: 'secret-scan' },
      { name: 'deps', needs: ['build'], timeoutMs: t, kind: 'dependency-audit', severity: 'high', ignore: [] },
      { name: 'bench', needs: ['build'], timeoutMs: t, kind: 'bench', run: 'node bench/http.js', env: {}, secrets: [], maxRegression: 0.1 },
    ]);
    assert.deepEqual(c.run, {
      command: 'node dist/server.js',
      instances: 1,
      health: { path: '/healthz', intervalMs: 1000, timeoutMs: 2000, startTimeoutMs: 30_000 },
      stopGraceMs: 10_000,
    });
    const [staging, production] = c.environments;
    assert.deepEqual(staging, {
      name: 'staging',
      port: 8081,
      deploy: 'auto',
      approval: 'none',
      strategy: { kind: 'blue-green' },
      verify: defaultVerify(300),
      rollback: 'auto',
      alerts: { enabled: true, match: [{ label: 'env', kind: 'equal', value: 'staging' }], protectMs: 15 * 60_000 },
    });
    assert.deepEqual(c.notifications, []);
    assert.deepEqual(c.prometheus, { url: 'http://127.0.0.1:9090', timeoutMs: 5000 });
    assert.deepEqual(c.alertmanager, {});
    assert.equal(production?.promoteFrom, 'staging');
    assert.deepEqual(production?.strategy, { kind: 'canary', steps: [0.1, 0.5, 1], pauseMs: 10_000 });
    assert.ok(production?.verify.enabled);
    assert.equal(production.verify.windowMs, 120_000);
    assert.deepEqual(production.verify.checks.slice(2), [
      { kind: 'baseline', metric: 'latency', minEffect: 0.1, confidence: 0.95, source: 'compare: baseline (latency)' },
      {
        kind: 'prometheus',
        query: 'sum(rate(http_errors_total{release="{{release}}"}[1m]))',
        op: '<',
        value: 1,
        source: 'prometheus: sum(rate(http_errors_total{release="{{release}}"}[1m])) < 1',
      },
    ]);
  });

  void test('an environment that says nothing gets the documented defaults', () => {
    const c = load('app: a\nbuild: { artifact: [src/] }\nrun: { command: node src/index.js }\nenvironments:\n  staging:\n');
    assert.deepEqual(c.environments, [
      {
        name: 'staging',
        deploy: 'manual',
        approval: 'none',
        strategy: { kind: 'blue-green' },
        verify: defaultVerify(500),
        rollback: 'auto',
        alerts: { enabled: true, match: [{ label: 'env', kind: 'equal', value: 'staging' }], protectMs: 15 * 60_000 },
      },
    ]);
    assert.equal(c.build.run, undefined);
  });

  void test('verify: false turns verification off; verify: true keeps the defaults', () => {
    const c = load('app: a\nbuild: { artifact: [src/] }\nrun: { command: x }\nenvironments:\n  a: { verify: false }\n  b: { verify: true }\n');
    assert.deepEqual(c.environments[0]?.verify, { enabled: false });
    assert.equal(c.environments[1]?.verify.enabled, true);
  });

  void test('verify.probe: the path defaults to none (the health path at deploy time), the method to GET', () => {
    const c = load('app: a\nbuild: { artifact: [src/] }\nrun: { command: x }\nenvironments:\n  a: { verify: { probe: { path: /ping, method: HEAD } } }\n  b: { verify: { probe: {} } }\n');
    const probeOf = (i: number) => { const v = c.environments[i]?.verify; return v?.enabled ? v.probe : undefined; };
    assert.deepEqual(probeOf(0), { path: '/ping', method: 'HEAD' });
    assert.deepEqual(probeOf(1), { method: 'GET' });
  });

  void test('durations, percentages and every metric in their friendly forms', () => {
    const c = load(
      [
        'app: a',
        'pipeline: { concurrency: 4, timeout: 1h }',
        'build: { artifact: [dist/], timeout: 90000, env: { NODE_ENV: production, WORKERS: 2, DEBUG: false }, secrets: [NPM_TOKEN], keep: [source-maps, source-maps] }',
        'gates:',
        '  flaky: { run: npm test, retries: 2, timeout: 1.5s, needs: [] }',
        '  deps: { audit: true }',
        '  scan: { scan: { allowlist: .slipway-allow } }',
        '  perf: { run: x, compare: baseline }',
        'run: { command: x, instances: 3, stop_grace: 500ms, health: { start_timeout: 2m } }',
        'environments:',
        '  p:',
        '    instances: 2',
        '    env: { LOG_LEVEL: info }',
        '    strategy: { canary: [0.25, 100%], pause: 0 }',
        '    verify:',
        '      inconclusive: probe',
        '      failure_limit: 3',
        '      min_samples: 0',
        '      checks:',
        '        - error_rate <= 0.02',
        '        - p50_latency < 1.5s',
        '        - p90_latency < 200',
        '        - p95_latency > 1ms',
        '        - request_count >= 20',
        '        - restarts < 1',
        '        - log_errors_per_minute < 5',
        '        - { compare: baseline, metric: error_rate, min_effect: 0.05, confidence: 99% }',
        "        - { prometheus: 'up{env=\"{{env}}\"}', above: 0 }",
      ].join('\n'),
    );
    assert.deepEqual(c.pipeline, { concurrency: 4, timeoutMs: 3_600_000 });
    assert.deepEqual(c.build.env, { NODE_ENV: 'production', WORKERS: '2', DEBUG: 'false' });
    assert.equal(c.build.timeoutMs, 90_000);
    assert.deepEqual(c.build.secrets, ['NPM_TOKEN']);
    assert.deepEqual(c.build.keep, ['source-maps']);
    assert.deepEqual(
      c.gates.map((g) => [g.name, g.kind, g.timeoutMs]),
      [
        ['flaky', 'command', 1500],
        ['deps', 'dependency-audit', 3_600_000],
        ['scan', 'secret-scan', 3_600_000],
        ['perf', 'bench', 3_600_000],
      ],
    );
    assert.deepEqual(c.gates[0], { name: 'flaky', needs: [], timeoutMs: 1500, kind: 'command', run: 'npm test', env: {}, secrets: [], retries: 2 });
    assert.deepEqual(c.gates[1], { name: 'deps', needs: ['build'], timeoutMs: 3_600_000, kind: 'dependency-audit', severity: 'high', ignore: [] });
    assert.deepEqual(c.gates[2], { name: 'scan', needs: ['build'], timeoutMs: 3_600_000, kind: 'secret-scan', allowlist: '.slipway-allow' });
    assert.equal(c.gates[3]?.kind === 'bench' && c.gates[3].maxRegression, 0.1);
    assert.equal(c.run.instances, 3);
    assert.equal(c.run.stopGraceMs, 500);
    assert.equal(c.run.health.startTimeoutMs, 120_000);
    const env = c.environments[0];
    assert.equal(env?.instances, 2);
    assert.deepEqual(env?.env, { LOG_LEVEL: 'info' });
    assert.deepEqual(env?.strategy, { kind: 'canary', steps: [0.25, 1], pauseMs: 0 });
    assert.ok(env?.verify.enabled);
    assert.equal(env.verify.inconclusive, 'probe');
    assert.equal(env.verify.failureLimit, 3);
    assert.equal(env.verify.minSamples, 0);
    assert.deepEqual(
      env.verify.checks.map((ch) => (ch.kind === 'threshold' ? [ch.metric, ch.op, ch.value] : [ch.kind])),
      [
        ['error_rate', '<=', 0.02],
        ['p50_latency', '<', 1500],
        ['p90_latency', '<', 200],
        ['p95_latency', '>', 1],
        ['request_count', '>=', 20],
        ['restarts', '<', 1],
        ['log_errors_per_minute', '<', 5],
        ['baseline'],
        ['prometheus'],
      ],
    );
    assert.deepEqual(env.verify.checks[7], {
      kind: 'baseline',
      metric: 'error_rate',
      minEffect: 0.05,
      confidence: 0.99,
      source: 'compare: baseline (error_rate)',
    });
    assert.deepEqual(env.verify.checks[8], {
      kind: 'prometheus',
      query: 'up{env="{{env}}"}',
      op: '>',
      value: 0,
      source: 'prometheus: up{env="{{env}}"} > 0',
    });
  });

  void test('a config without environments needs no run section', () => {
    const c = load('app: lib\nbuild: { run: npm pack, artifact: [package.json, lib/] }\ngates:\n  test: { run: npm test }\n');
    assert.deepEqual(c.environments, []);
    assert.equal(c.run.command, '');
  });
});
