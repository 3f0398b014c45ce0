// The full commented example of slipway.yaml shown in docs/slipway-yaml.md; a test loads it, so the
// documentation cannot drift from what the loader accepts.

export const EXAMPLE_CONFIG = `# slipway.yaml — the pipeline and the policies of one app. No secret goes here:
# use \`slipway secrets set ENV KEY\` and name the secret under \`secrets:\`.
app: hello                        # lowercase letters, digits and -

pipeline:
  concurrency: 2                  # most steps running at once
  timeout: 15m                    # default timeout of every step

build:                            # runs ONCE per commit, in a clean checkout
  run: npm ci && npm run build
  artifact: [dist/, package.json, package-lock.json, node_modules/]
  timeout: 10m
  env: { NODE_ENV: production }   # non-secret variables only
  secrets: [NPM_TOKEN]            # injected from \`slipway secrets\`

gates:                            # each gate waits for the build unless it says \`needs\`
  test:
    run: npm test
    retries: 1                    # one more attempt for a flaky suite
  lint: { run: npm run lint, needs: [] }                  # starts at once
  secrets: { scan: { allowlist: slipway-allowlist.yaml } } # source tree and artifact; the allowlist is committed
  deps:
    audit:
      severity: high              # low | moderate | high | critical
      database: osv/              # offline OSV records (directory or zip)
      ignore:
        - { id: GHSA-xxxx-xxxx-xxxx, reason: dev-only tool, expires: 2030-01-31 }
  bench:
    run: node bench/http.js       # prints samples; compared with main's baseline
    compare: baseline
    max_regression: 10%
    needs: [build, test]

run:
  command: node dist/server.js    # PORT is injected
  instances: 1
  health: { path: /healthz, interval: 1s, timeout: 2s, start_timeout: 30s }
  stop_grace: 10s                 # SIGTERM, then SIGKILL after this

environments:
  staging:
    port: 8081
    deploy: auto                  # every green commit of main
    strategy: blue-green
    env: { LOG_LEVEL: debug }     # defaults; \`slipway config set\` overrides
    verify:                       # these are the defaults, written out
      window: 30s
      interval: 1s
      failure_limit: 0
      min_samples: 20
      inconclusive: probe         # too little traffic: probe | extend | fail
      checks: [error_rate < 1%, p99_latency < 500ms]
  production:
    port: 8080
    promote_from: staging         # only digests verified in staging
    approval: none                # required: waits for \`slipway approve dN\` by someone else
    # approval_timeout: 2h        # with required: rejected if nobody decided within 2h
    strategy: { canary: [10%, 50%, 100%], pause: 30s }
    instances: 2
    verify:
      window: 2m
      checks:
        - error_rate < 0.5%
        - p99_latency < 250ms
        - restarts < 1
        - log_errors_per_minute < 5
        - compare: baseline       # canary against stable, Mann–Whitney U
          metric: latency
          min_effect: 10%
          confidence: 95%
        - prometheus: 'sum(rate(http_errors_total{release="{{release}}"}[1m]))'
          below: 1                # {{release}} (v3), {{env}}, {{digest}} are replaced
    rollback: auto                # manual: a failed verification holds the release for a person
    alerts:                       # Alertmanager alerts that roll production back
      match: { env: production, severity: /critical|page/ }  # /regex/ matches the whole value
      protect: 15m                # after a deploy; later alerts are recorded and notified

prometheus:                       # queried by \`prometheus:\` checks
  url: http://127.0.0.1:9090
  timeout: 5s

alertmanager:                     # how its webhook proves itself (names of server variables)
  token_env: SLIPWAY_ALERT_TOKEN  # bearer token; or secret_env: an HMAC key

notifications:                    # signed webhooks, retried, never blocking a deployment
  - url: https://hooks.example.com/slipway
    events: [succeeded, failed, rolled_back]
    secret_env: SLIPWAY_HOOK_SECRET   # HMAC key: X-Slipway-Signature: sha256=<hex>
`;
