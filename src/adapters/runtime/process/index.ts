// The embedded runtime (SPEC §7): each instance is a local process run by its own detached shim
// (src/runtime-shim), so that instances outlive the control plane, which re-adopts them on restart.
//
// Layout under the home directory (Slipway's own, never seen by an app):
//   run/<env>/<id>.json            each shim's state (pids, port, restarts, last exit)
//   logs/<env>/<id>.log            each instance's output, masked, one timestamped line per record
// and under the sandbox area (outside the home; each app sees only its own parts):
//   releases/<env>/v<n>-<hex12>/   the release, unpacked read-only; the app's working directory
//   data/<env>/                    SLIPWAY_DATA_DIR: writable and kept across releases
//   tmp/<env>/<id>/                TMPDIR and HOME: writable, removed when the instance stops
// Apps get PORT, SLIPWAY_ENV, SLIPWAY_RELEASE (v<n>), SLIPWAY_DIGEST, SLIPWAY_INSTANCE,
// SLIPWAY_DATA_DIR, TMPDIR and HOME, besides the spec's env and a few inherited variables (PATH…),
// and run confined by the sandbox (the shim stays outside it).

import { SlipwayError } from '../../../core/errors.js';
import type { InstanceInfo, InstanceSpec, ReleaseRef, Runtime, StartResult } from '../../../ports/runtime.js';
import type { Sandbox } from '../../../ports/sandbox.js';
import { DEFAULT_BACKOFF, isFinalPhase, type BackoffPolicy } from '../../../runtime-shim/protocol.js';
import { waitHealthy } from './health.js';
import { expectEnvName, isInstanceId, runtimePaths } from './paths.js';
import { freePort } from './ports.js';
import { prepareRelease, type ReleaseUnpacker } from './releases.js';
import { isShimProcess, readShimState, signal } from './shims.js';
import { sweepOrphans } from './sweep.js';
import { DEFAULT_INHERITED_ENV, startInstance, type StartContext } from './start.js';
import { Supervisor, type Tracked } from './supervisor.js';

export { DEFAULT_INHERITED_ENV } from './start.js';
export { RELEASE_MARKER, type ReleaseUnpacker } from './releases.js';
export { runtimePaths, type RuntimePaths } from './paths.js';

export interface ProcessRuntimeOptions {
  /** Slipway's home directory. */
  home: string;
  /** Verifies and unpacks artifacts: `createArtifactService({ home })` fits. */
  artifacts: ReleaseUnpacker;
  /** Confines each app; its area holds the releases, data and temporary directories. */
  sandbox: Sandbox;
  /** Control-plane environment variables passed on to apps; default `DEFAULT_INHERITED_ENV`. */
  inheritEnv?: readonly string[];
  /** Restart delays after a crash; default 100 ms doubling to 10 s, reset after 30 s of running. */
  backoff?: Partial<BackoffPolicy>;
  /** Fallback poll of the state files, in ms; default 200. */
  pollMs?: number;
  /** Chooses each instance's port; default: a free loopback port from the kernel. For tests. */
  pickPort?: () => Promise<number>;
  /** The compiled shim; default: dist/src/runtime-shim/main.js beside this module. For tests. */
  shimPath?: string;
}

/**
 * Creates the process runtime. Instances started by an earlier runtime over the same home are not
 * touched until `adopt` is called with their records.
 *
 * @example
 * const runtime = createProcessRuntime({ home, artifacts: await createArtifactService({ home }), sandbox });
 * await runtime.prepare({ env: 'staging', release: 3, digest });
 * const r = await runtime.start({ env: 'staging', release: 3, digest, command: 'node dist/server.js', instances: 2, … });
 */
export function createProcessRuntime(options: ProcessRuntimeOptions): Runtime {
  const paths = runtimePaths(options.home, options.sandbox.dir);
  const supervisor = new Supervisor(paths, options.pollMs ?? 200);
  // Ports picked by starts in flight: the kernel may hand the same free port to two parallel picks.
  const reserved = new Set<number>();
  const pickPort = async (): Promise<number> => {
    const pick = options.pickPort ?? freePort;
    const taken = (p: number): boolean => reserved.has(p) || [...supervisor.instances.values()].some((t) => t.info.port === p);
    let port = await pick();
    for (let tries = 0; taken(port) && tries < 20; tries++) port = await pick();
    reserved.add(port);
    return port;
  };
  const ctx: StartContext = {
    paths, supervisor, pickPort, sandbox: options.sandbox, inheritEnv: options.inheritEnv ?? DEFAULT_INHERITED_ENV,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff }, shimPath: options.shimPath,
  };
  const preparing = new Map<string, Promise<{ dir: string }>>();
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('the process runtime is closed');
  };

  const prepare = (ref: ReleaseRef): Promise<{ dir: string }> => {
    open();
    const key = `${ref.env}\0${ref.release}\0${ref.digest}`;
    const inFlight = preparing.get(key);
    if (inFlight !== undefined) return inFlight;
    const p = prepareRelease(paths, options.artifacts, ref).finally(() => preparing.delete(key));
    preparing.set(key, p);
    return p;
  };

  const matching = (env: string, release?: number): Tracked[] =>
    [...supervisor.instances.values()].filter((t) => t.info.env === env && (release === undefined || t.info.release === release));

  return {
    prepare,

    async start(spec: InstanceSpec): Promise<StartResult> {
      open();
      checkSpec(spec);
      const { dir } = await prepare(spec);
      const mine = new Set<number>();
      const startCtx: StartContext = {
        ...ctx,
        pickPort: async () => {
          const port = await pickPort();
          mine.add(port);
          return port;
        },
      };
      const results = await Promise.all(Array.from({ length: spec.instances }, (_, i) => startInstance(startCtx, spec, dir, i + 1))).finally(() => {
        for (const p of mine) reserved.delete(p); // now tracked, or given up
      });
      const failed = results.find((r) => !r.ok);
      if (failed === undefined || failed.ok) return { ok: true, instances: results.flatMap((r) => (r.ok ? [{ ...r.tracked.info }] : [])) };
      // All or nothing: stop what did start.
      const started = results.flatMap((r) => (r.tracked !== null && supervisor.instances.has(r.tracked.info.id) ? [r.tracked] : []));
      await Promise.all(started.map((t) => supervisor.stop(t)));
      const { tracked: _tracked, ...failure } = failed;
      return failure;
    },

    list: (env, release) => matching(env, release).map((t) => ({ ...t.info })),

    async stop(env, release) {
      open();
      await Promise.all(matching(env, release).map((t) => supervisor.stop(t)));
    },

    async adopt(recorded, specOf) {
      open();
      const adopted: InstanceInfo[] = [];
      await Promise.all(
        recorded.map(async (r) => {
          const known = supervisor.instances.get(r.id);
          if (known !== undefined) return void adopted.push({ ...known.info });
          expectEnvName(r.env);
          if (!isInstanceId(r.id)) return;
          const spec = specOf({ env: r.env, release: r.release, digest: r.digest });
          const st = readShimState(paths.stateFile(r.env, r.id));
          if (spec === undefined || st === null || isFinalPhase(st.phase) || st.phase === 'stopping') return;
          if (!isShimProcess(st.shimPid, options.shimPath)) return;
          const t: Tracked = {
            info: { ...r, pid: st.appPid ?? r.pid, port: st.port, url: `http://127.0.0.1:${st.port}`, restarts: st.restarts, startedAt: st.startedAt, state: 'starting', log: paths.logFile(r.env, r.id) },
            stateFile: paths.stateFile(r.env, r.id), health: spec.health, graceMs: spec.stopGraceMs, shimPid: st.shimPid, child: null,
            state: st, supervising: false, stopping: false, lost: false, seenExitAt: st.lastExit?.at ?? null, seenRestarts: st.restarts, waiters: new Set(), probe: null,
          };
          supervisor.track(t);
          if (st.phase === 'backoff') t.info.state = 'crashed';
          else {
            const h = await waitHealthy({ port: st.port, path: spec.health.path, intervalMs: spec.health.intervalMs, timeoutMs: spec.health.timeoutMs, deadlineMs: Math.min(spec.health.startTimeoutMs, 2000) });
            t.info.state = h.ok ? 'healthy' : 'unhealthy';
          }
          // Arm it (again): an instance recorded as started was seen healthy once.
          signal(st.shimPid, 'SIGUSR2');
          await supervisor.waitFor(t, () => t.state?.armed === true, 2000);
          t.supervising = true;
          supervisor.refresh(t);
          adopted.push({ ...t.info });
        }),
      );
      return adopted;
    },

    sweep() {
      open();
      return sweepOrphans(paths, (id) => supervisor.instances.has(id), options.shimPath);
    },

    onEvent: (listener) => supervisor.onEvent(listener),

    async close(opts = {}) {
      if (closed) return;
      closed = true;
      if (opts.stopInstances === true) await Promise.all([...supervisor.instances.values()].map((t) => supervisor.stop(t)));
      supervisor.close();
    },
  };
}

/** A malformed spec is the caller's bug: the config layer has normalised it. */
function checkSpec(spec: InstanceSpec): void {
  const problems: string[] = [];
  if (spec.command.trim() === '') problems.push('command is empty');
  if (!Number.isInteger(spec.instances) || spec.instances < 0 || spec.instances > 64) problems.push('instances must be 0..64');
  if (!spec.health.path.startsWith('/')) problems.push(`health path "${spec.health.path}" must start with "/"`);
  for (const k of ['intervalMs', 'timeoutMs', 'startTimeoutMs'] as const) if (!(spec.health[k] > 0)) problems.push(`health.${k} must be > 0`);
  if (!(spec.stopGraceMs >= 0)) problems.push('stopGraceMs must be >= 0');
  if (problems.length > 0) throw new SlipwayError('usage', `invalid instance spec for ${spec.env} v${spec.release}: ${problems.join('; ')}`);
}
