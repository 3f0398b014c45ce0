// The normalised shape of slipway.yaml that the rest of Slipway works with: friendly YAML is
// accepted outside (see schema.ts), tagged unions and plain numbers (milliseconds, fractions) inside.

import type { KeepKind } from '../artifact/lean.js';

export interface SlipwayConfig {
  app: string;
  pipeline: PipelineSpec;
  build: BuildSpec;
  gates: GateSpec[];
  run: RunSpec;
  environments: EnvironmentSpec[];
  /** Outgoing webhooks on deployment outcomes (always set by normalise; absent in hand-built configs). */
  notifications?: NotificationSpec[];
  /** The Prometheus that `prometheus:` checks query. */
  prometheus?: PrometheusSpec;
  /** How the Alertmanager receiver authenticates payloads. */
  alertmanager?: AlertmanagerSpec;
  /** What `slipway gc` keeps (always set by normalise; absent in hand-built configs: the defaults). */
  retention?: RetentionSpec;
}

export interface RetentionSpec {
  /** Releases kept per environment, newest first. */
  keepReleases: number;
  /** Digests never removed. */
  pinned: string[];
  /** Period of the control plane's own gc, in ms; 0: off. */
  gcEveryMs: number;
  /** Nothing younger than this is removed, in ms. */
  minAgeMs: number;
  /** Days a log is kept after its last line. */
  logsDays: number;
  /** Size at which a log file is rotated. */
  logMaxBytes: number;
}

export interface PipelineSpec {
  /** Most steps running at once. */
  concurrency: number;
  /** Default timeout of a step, in ms. */
  timeoutMs: number;
}

export interface BuildSpec {
  /** Shell command run in the clean checkout; absent when the artifact is the source itself. */
  run?: string;
  /** Paths (files or directories, relative to the repository root) packed into the artifact. */
  artifact: string[];
  timeoutMs: number;
  env: Record<string, string>;
  secrets: string[];
  /** What the artifact keeps of what the lean rule leaves out (core/artifact/lean.ts). */
  keep: KeepKind[];
  /** `build.image: true`: the image of the artifact is built and pushed to this registry (absent: no image). */
  image?: ImageTarget;
}

/** Where the image of an artifact is pushed: `host[:port]` and the repository there. */
export interface ImageTarget {
  registry: string;
  repository: string;
}

/** What runs an environment's instances (adapters/runtime/process or adapters/runtime/docker). */
export type RuntimeKind = 'process' | 'docker';

interface GateBase {
  name: string;
  /** Steps this one waits for; defaults to ['build']. */
  needs: string[];
  timeoutMs: number;
}

export type GateSpec =
  | (GateBase & { kind: 'command'; run: string; env: Record<string, string>; secrets: string[]; retries: number })
  | (GateBase & { kind: 'secret-scan'; allowlist?: string })
  | (GateBase & { kind: 'dependency-audit'; severity: Severity; database?: string; ignore: AuditIgnore[] })
  | (GateBase & {
      kind: 'bench';
      run: string;
      env: Record<string, string>;
      secrets: string[];
      /** Largest tolerated regression, as a fraction (0.1 = 10 %). */
      maxRegression: number;
    });

export type Severity = 'low' | 'moderate' | 'high' | 'critical';

export interface AuditIgnore {
  id: string;
  reason: string;
  /** ISO date after which the ignore entry no longer applies. */
  expires: string;
}

export interface RunSpec {
  command: string;
  instances: number;
  health: HealthSpec;
  /** Time between SIGTERM and SIGKILL when stopping an instance, in ms. */
  stopGraceMs: number;
}

export interface HealthSpec {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** How long a new instance may take to become healthy before the deployment fails. */
  startTimeoutMs: number;
}

export type Strategy =
  | { kind: 'blue-green' }
  | { kind: 'canary'; /** fractions, ending with 1 */ steps: number[]; pauseMs: number };

export type CheckSpec =
  | { kind: 'threshold'; metric: MetricName; op: '<' | '<=' | '>' | '>='; value: number; source: string }
  | { kind: 'baseline'; metric: 'latency' | 'error_rate'; minEffect: number; confidence: number; source: string }
  | { kind: 'prometheus'; query: string; op: '<' | '<=' | '>' | '>='; value: number; source: string };

export type MetricName =
  | 'error_rate'
  | 'p50_latency'
  | 'p90_latency'
  | 'p95_latency'
  | 'p99_latency'
  | 'request_count'
  | 'restarts'
  | 'log_errors_per_minute';

export type VerifySpec =
  | { enabled: false }
  | {
      enabled: true;
      windowMs: number;
      intervalMs: number;
      failureLimit: number;
      minSamples: number;
      /** What an inconclusive window (too little traffic) does. */
      inconclusive: 'extend' | 'fail' | 'probe';
      checks: CheckSpec[];
      /** The synthetic probes; no path: the health path (set by normalise; absent in hand-built specs). */
      probe?: { path?: string; method: 'GET' | 'HEAD' };
    };

/**
 * One host of a multi-host environment (`hosts:`), reached through two unix sockets on the control
 * plane's machine: its Docker Engine's and its Slipway proxy's admin socket (forwarded over SSH on
 * real machines, docs/containers.md).
 */
export interface HostSpec {
  name: string;
  /** Path of the engine's API socket. */
  docker: string;
  /** Path of the host proxy's admin socket (`slipway proxy … --admin-socket`). */
  proxy: string;
}

/** What a rollout does when a host cannot be reached: wait for it (bounded), leave it out, or roll back. */
export type HostDownPolicy = 'wait' | 'skip' | 'rollback';

export interface EnvironmentSpec {
  name: string;
  port?: number;
  /** Host names served on the proxy's shared listeners (`*.x` covers every name below x); none when absent. */
  domains?: string[];
  deploy: 'auto' | 'manual';
  promoteFrom?: string;
  approval: 'none' | 'required';
  /** With `approval: required`: how long a deployment waits before it is rejected; absent: until decided. */
  approvalTimeoutMs?: number;
  strategy: Strategy;
  verify: VerifySpec;
  rollback: 'auto' | 'manual';
  instances?: number;
  /** Absent: `process`. `docker` runs the image of `build.image` (refused without it). */
  runtime?: RuntimeKind;
  /** With `runtime: docker`: the hosts it runs on, in rollout order (the first is the barrier); absent: this machine's engine. */
  hosts?: HostSpec[];
  /** With `hosts`: what a host that cannot be reached does to a rollout. */
  onHostDown?: HostDownPolicy;
  /** Non-secret config defaults from slipway.yaml; `slipway config set` values override them. */
  env?: Record<string, string>;
  /** Which Alertmanager alerts belong here (always set by normalise; absent in hand-built configs). */
  alerts?: AlertsSpec;
}

/** A label matcher of an alert: the exact value, or a regular expression over the whole value. */
export type LabelMatcher = { label: string; kind: 'equal'; value: string } | { label: string; kind: 'regex'; pattern: string };

export type AlertsSpec =
  | { enabled: false }
  | {
      enabled: true;
      /** Every matcher must hold (as in Alertmanager routes). */
      match: LabelMatcher[];
      /** After a deploy, how long a matching firing alert rolls the environment back. */
      protectMs: number;
    };

export type NotificationEvent = 'succeeded' | 'failed' | 'rolled_back' | 'held';

export interface NotificationSpec {
  url: string;
  events: NotificationEvent[];
  /** Environment variable of `slipway server` holding the HMAC key; unsigned when absent. */
  secretEnv?: string;
}

export interface PrometheusSpec {
  url: string;
  timeoutMs: number;
}

export interface AlertmanagerSpec {
  /** Environment variable of `slipway server` holding the bearer token. */
  tokenEnv?: string;
  /** Environment variable of `slipway server` holding the HMAC key of `X-Slipway-Signature` (over `<X-Slipway-Timestamp>.<body>`, docs/verification.md). */
  secretEnv?: string;
}
