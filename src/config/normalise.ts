// Turns validated friendly YAML into the SlipwayConfig the core uses: tagged unions, milliseconds,
// fractions, every default filled in. Pure; the input has passed configSchema, so parsing cannot fail.

import { DEFAULTS } from './defaults.js';
import type { FriendlyCheck, FriendlyConfig, FriendlyEnvironment, FriendlyGate } from './schema.js';
import type { CheckSpec, EnvironmentSpec, GateSpec, ImageTarget, RunSpec, Strategy, VerifySpec, SlipwayConfig } from './types.js';
import { parseRegistry } from '../core/image/oci.js';
import { parseCheckExpression, parseDuration, parsePercent, parseSize, type Parsed } from './values.js';
import { normaliseAlertmanager, normaliseAlerts, normaliseNotifications, normalisePrometheus } from './normalise-monitoring.js';

/** A value the schema has already accepted; failing here is a bug, not a user error. */
function sure<T>(r: Parsed<T>): T {
  if (!r.ok) throw new Error(`normalise: value passed the schema but does not parse: ${r.message}`);
  return r.value;
}
const ms = (v: string | number) => sure(parseDuration(v));
const fraction = (v: string | number) => sure(parsePercent(v));

const envValues = (env: Record<string, string | number | boolean> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));

/** The normalised config; see types.ts for the meaning of each field. */
export function normalise(input: FriendlyConfig): SlipwayConfig {
  const pipelineTimeoutMs = ms(input.pipeline?.timeout ?? DEFAULTS.pipeline.timeout);
  const run = normaliseRun(input.run);
  return {
    app: input.app,
    pipeline: { concurrency: input.pipeline?.concurrency ?? DEFAULTS.pipeline.concurrency, timeoutMs: pipelineTimeoutMs },
    build: {
      ...(input.build.run === undefined ? {} : { run: input.build.run }),
      artifact: [...input.build.artifact],
      timeoutMs: input.build.timeout === undefined ? pipelineTimeoutMs : ms(input.build.timeout),
      env: envValues(input.build.env),
      secrets: [...(input.build.secrets ?? [])],
      keep: [...new Set(input.build.keep ?? [])],
      ...imageTarget(input.build),
    },
    gates: Object.entries(input.gates ?? {}).map(([name, gate]) => normaliseGate(name, gate, pipelineTimeoutMs)),
    run,
    environments: Object.entries(input.environments ?? {}).map(([name, env]) => normaliseEnvironment(name, env ?? {})),
    notifications: normaliseNotifications(input.notifications),
    prometheus: normalisePrometheus(input.prometheus),
    alertmanager: normaliseAlertmanager(input.alertmanager),
    retention: {
      keepReleases: input.retention?.releases ?? DEFAULTS.retention.releases,
      pinned: [...new Set(input.retention?.pin ?? [])],
      gcEveryMs: ms(input.retention?.gc_every ?? DEFAULTS.retention.gc_every),
      minAgeMs: ms(input.retention?.min_age ?? DEFAULTS.retention.min_age),
      logsDays: input.retention?.logs_days ?? DEFAULTS.retention.logs_days,
      logMaxBytes: sure(parseSize(input.retention?.log_max_bytes ?? DEFAULTS.retention.log_max_bytes)),
    },
  };
}

/** The image target of `build.image: true` with a valid `build.registry`; rules.ts refuses the other forms. */
function imageTarget(build: FriendlyConfig['build']): { image?: ImageTarget } {
  if (build.image !== true || build.registry === undefined) return {};
  const r = parseRegistry(build.registry);
  return r.ok ? { image: { registry: r.host, repository: r.repository } } : {};
}

function normaliseGate(name: string, gate: FriendlyGate, defaultTimeoutMs: number): GateSpec {
  const base = {
    name,
    needs: [...(gate.needs ?? DEFAULTS.gate.needs)],
    timeoutMs: gate.timeout === undefined ? defaultTimeoutMs : ms(gate.timeout),
  };
  if (gate.scan !== undefined) {
    return { ...base, kind: 'secret-scan', ...(gate.scan === true ? {} : { allowlist: gate.scan.allowlist }) };
  }
  if (gate.audit !== undefined) {
    const audit = gate.audit === true ? {} : gate.audit;
    return {
      ...base,
      kind: 'dependency-audit',
      severity: audit.severity ?? DEFAULTS.audit.severity,
      ...(audit.database === undefined ? {} : { database: audit.database }),
      ignore: (audit.ignore ?? []).map((i) => ({ id: i.id, reason: i.reason, expires: i.expires })),
    };
  }
  // The schema guarantees `run` when it is neither a scan nor an audit.
  const command = { run: gate.run ?? '', env: envValues(gate.env), secrets: [...(gate.secrets ?? [])] };
  if (gate.compare === 'baseline') {
    return { ...base, kind: 'bench', ...command, maxRegression: fraction(gate.max_regression ?? DEFAULTS.bench.max_regression) };
  }
  return { ...base, kind: 'command', ...command, retries: gate.retries ?? DEFAULTS.gate.retries };
}

function normaliseRun(run: FriendlyConfig['run']): RunSpec {
  const health = run?.health;
  return {
    // Empty only when there is no environment to run in; rules.ts refuses it otherwise.
    command: run?.command ?? '',
    instances: run?.instances ?? DEFAULTS.run.instances,
    health: {
      path: health?.path ?? DEFAULTS.health.path,
      intervalMs: ms(health?.interval ?? DEFAULTS.health.interval),
      timeoutMs: ms(health?.timeout ?? DEFAULTS.health.timeout),
      startTimeoutMs: ms(health?.start_timeout ?? DEFAULTS.health.start_timeout),
    },
    stopGraceMs: ms(run?.stop_grace ?? DEFAULTS.run.stop_grace),
  };
}

function normaliseEnvironment(name: string, env: FriendlyEnvironment): EnvironmentSpec {
  return {
    name,
    ...(env.port === undefined ? {} : { port: env.port }),
    ...(env.domains === undefined ? {} : { domains: env.domains }),
    deploy: env.deploy ?? DEFAULTS.environment.deploy,
    ...(env.promote_from === undefined ? {} : { promoteFrom: env.promote_from }),
    approval: env.approval ?? DEFAULTS.environment.approval,
    ...(env.approval_timeout === undefined ? {} : { approvalTimeoutMs: ms(env.approval_timeout) }),
    strategy: normaliseStrategy(env.strategy),
    verify: normaliseVerify(env.verify),
    rollback: env.rollback ?? DEFAULTS.environment.rollback,
    ...(env.instances === undefined ? {} : { instances: env.instances }),
    ...(env.runtime === undefined ? {} : { runtime: env.runtime }),
    ...(env.hosts === undefined ? {} : { hosts: env.hosts.map((h) => ({ name: h.name, docker: h.docker.slice('unix://'.length), proxy: h.proxy.slice('unix://'.length) })) }),
    ...(env.on_host_down === undefined ? {} : { onHostDown: env.on_host_down }),
    ...(env.env === undefined ? {} : { env: envValues(env.env) }),
    alerts: normaliseAlerts(name, env.alerts),
  };
}

function normaliseStrategy(strategy: FriendlyEnvironment['strategy']): Strategy {
  if (strategy === undefined || strategy === 'blue-green') return { kind: 'blue-green' };
  return { kind: 'canary', steps: strategy.canary.map(fraction), pauseMs: ms(strategy.pause ?? DEFAULTS.canary.pause) };
}

/** Verification is on unless the environment says `verify: false`; unset fields take DEFAULTS.verify. */
export function normaliseVerify(verify: FriendlyEnvironment['verify']): VerifySpec {
  if (verify === false) return { enabled: false };
  const v = verify === true || verify === undefined ? {} : verify;
  const d = DEFAULTS.verify;
  return {
    enabled: true,
    windowMs: ms(v.window ?? d.window),
    intervalMs: ms(v.interval ?? d.interval),
    failureLimit: v.failure_limit ?? d.failure_limit,
    minSamples: v.min_samples ?? d.min_samples,
    inconclusive: v.inconclusive ?? d.inconclusive,
    checks: (v.checks ?? d.checks).map(normaliseCheck),
    probe: { ...(v.probe?.path === undefined ? {} : { path: v.probe.path }), method: v.probe?.method ?? d.probe.method },
  };
}

function normaliseCheck(check: FriendlyCheck): CheckSpec {
  if (typeof check === 'string') return sure(parseCheckExpression(check));
  if ('compare' in check) {
    const metric = check.metric ?? DEFAULTS.baseline.metric;
    return {
      kind: 'baseline',
      metric,
      minEffect: fraction(check.min_effect ?? DEFAULTS.baseline.min_effect),
      confidence: fraction(check.confidence ?? DEFAULTS.baseline.confidence),
      source: `compare: baseline (${metric})`,
    };
  }
  const [op, value] = check.below !== undefined ? (['<', check.below] as const) : (['>', check.above ?? 0] as const);
  return { kind: 'prometheus', query: check.prometheus, op, value, source: `prometheus: ${check.prometheus} ${op} ${value}` };
}
