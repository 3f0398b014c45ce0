// The engine's dependencies, gathered once by createEngine and handed to every use case.
import type { Clock } from '../ports/clock.js';
import type { Executor } from '../ports/executor.js';
import type { Store } from '../ports/store.js';
import type { Vcs } from '../ports/vcs.js';
import type { RepoHost } from '../ports/repo-host.js';
import type { Machine } from '../ports/machine.js';
import type { BuiltinGates } from '../ports/gates.js';
import type { Runtime } from '../ports/runtime.js';
import type { Sandbox } from '../ports/sandbox.js';
import type { ProxyControl } from '../ports/proxy.js';
import type { ArtifactService } from '../ports/artifact-service.js';
import type { Bus } from './bus.js';
import type { NotificationEvent, NotificationSpec } from '../config/types.js';
import type { Deployment } from '../core/deployment/types.js';
import type { MeasureFactory } from './deploy/verify.js';
import type { EnvConfig } from '../ports/env-config.js';
import type { DependencyCache } from '../ports/dependency-cache.js';
import type { Timing } from '../ports/timing.js';
import type { LogDisk, RetentionDisk } from '../ports/retention.js';
import type { CrashPoints } from '../ports/crash.js';
import type { Images } from '../ports/images.js';

export interface EngineContext {
  /** Slipway's state directory (`.slipway/` or SLIPWAY_HOME). */
  home: string;
  /** The app's repository (top-level directory of its git work tree). */
  repo: string;
  store: Store;
  vcs: Vcs;
  /** The canonical repository that the merge queue owns (made on first use). */
  canonical: RepoHost;
  executor: Executor;
  artifacts: ArtifactService;
  clock: Clock;
  bus: Bus;
  /** Who is acting, recorded on events: the name of the API token of the request being served, else the owner's user name. */
  actor: string;
  runtime: Runtime;
  /** Sends outgoing webhooks about a deployment's end; never waits, never throws. */
  notify: (targets: readonly NotificationSpec[], notice: { event: NotificationEvent; app: string; deployment: Deployment; evidence?: unknown }) => void;
  /** Measures a release under verification (proxy metrics, Prometheus, crashes, error lines, probes). */
  measure: MeasureFactory;
  /** The edge proxy, started on first use (and again after a crash). */
  proxy: () => Promise<ProxyControl>;
  /** Environment handed to every step before its own variables. */
  baseEnv: Record<string, string>;
  /** Config versions, settings, secrets and the masker of every secret value. */
  envConfig: EnvConfig;
  /** Loopback ports, the registry of other apps, the down marker, a checkout's files. */
  machine: Machine;
  /** The secret scan, the dependency audit and the benchmark comparison. */
  gates: BuiltinGates;
  /** How steps and apps are confined; work trees are made in its area, outside the home. */
  sandbox: Sandbox;
  /** node_modules trees of earlier installs, by key: a build's `npm ci` taken from it when it may. */
  dependencies: DependencyCache;
  /** Marks of the phases from trigger to first step and of each step (SLIPWAY_TRACE_TIMING=1); none when absent. */
  timing?: Timing;
  /** Builds, pushes and checks the images of artifacts (`build.image`); without it `build.image` fails the build. */
  images?: Images;
  /** What `slipway gc` scans and removes; without it gc refuses. */
  retention?: RetentionDisk;
  /** The named crash points (core/crash-points.ts), armed only by the crash tests; none when absent. */
  crash?: CrashPoints;
  /** The log files gc rotates and expires; without it gc leaves logs alone. */
  logs?: LogDisk;
}

export const isoNow = (ctx: Pick<EngineContext, 'clock'>): string => ctx.clock.now().toISOString();
