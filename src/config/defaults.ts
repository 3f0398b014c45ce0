// The defaults of slipway.yaml, written in the friendly form: the schema shows them in the JSON Schema
// and the docs, and normalise() parses them, so there is one place where each default lives.

export const DEFAULTS = {
  pipeline: { concurrency: 2, timeout: '15m' },
  /** A gate waits for the build unless it says otherwise. */
  gate: { needs: ['build'], retries: 0 },
  bench: { max_regression: '10%' },
  retention: { releases: 10, gc_every: '1h', min_age: '1h', logs_days: 14, log_max_bytes: '10MiB' },
  audit: { severity: 'high' },
  run: { instances: 1, stop_grace: '10s' },
  health: { path: '/healthz', interval: '1s', timeout: '2s', start_timeout: '30s' },
  environment: { deploy: 'manual', approval: 'none', strategy: 'blue-green', rollback: 'auto', runtime: 'process' },
  canary: { pause: '10s' },
  verify: {
    window: '30s',
    interval: '1s',
    failure_limit: 0,
    min_samples: 20,
    // An environment without traffic must neither hang nor pass without evidence: send probes.
    inconclusive: 'probe',
    checks: ['error_rate < 1%', 'p99_latency < 500ms'],
    // Synthetic probes ask the health path (run.health.path) unless told otherwise: an app's `/`
    // may do real work, and Slipway must not hit it on its own.
    probe: { method: 'GET' },
  },
  baseline: { metric: 'latency', min_effect: '10%', confidence: '95%' },
  alerts: { protect: '15m' },
  /** Prometheus' own default port, on this machine. */
  prometheus: { url: 'http://127.0.0.1:9090', timeout: '5s' },
} as const;
