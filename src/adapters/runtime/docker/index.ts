// The docker runtime (issue 14.2): each instance is a container started from the release's image
// by digest, on the host network (the app listens on 127.0.0.1:$PORT, so the proxy routes to it as
// to a process), probed over HTTP like a process, restarted by the engine's restart policy once it
// has been healthy (the engine keeps restarting it while the control plane is down), stopped with
// SIGTERM and the grace period, its output followed, masked and appended to its log in the home.
//
// Layout under the home: containers/<env>/v<n>-<hex12>/release.json (the image a release runs),
// logs/<env>/<id>.log (masked output), container-data/<env>/ (mounted at /data, kept across releases).

import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { SlipwayError } from '../../../core/errors.js';
import type { InstanceInfo, InstanceSpec, ReleaseRef, Runtime, RuntimeEvent, StartResult, SweptInstance } from '../../../ports/runtime.js';
import { openInstanceLog, type InstanceLog } from '../../../runtime-shim/log.js';
import { createMasker } from '../../../secrets/mask.js';
import { waitHealthy, type Prober } from '../process/health.js';
import { checkRef, expectEnvName, isInstanceId, newInstanceId, releaseName } from '../process/paths.js';
import { freePort } from '../process/ports.js';
import { APP_USER, containerCreateOptions, containerName, LABEL } from './container-spec.js';
import { connectEngine, demuxLogs, statusOf } from './engine.js';

export { ENGINE_API_VERSION, connectEngine, dockerSocket, DEFAULT_DOCKER_SOCKET } from './engine.js';
export { containerCreateOptions, LABEL } from './container-spec.js';

/**
 * Which image runs an artifact: `host/repository@sha256:…` (checked against its provenance), or
 * null when none was built. `image`: the one the release names (else the newest of the artifact).
 */
export interface ImageResolver {
  imageOf(artifactDigest: string, image?: string): Promise<string | null>;
}

export interface DockerRuntimeOptions {
  home: string;
  /** The engine's API socket. */
  socketPath: string;
  images: ImageResolver;
  /** Chooses each instance's port; default: a free loopback port from the kernel. */
  pickPort?: () => Promise<number>;
  /** How often every container is inspected besides the engine's events; default 200 ms. */
  pollMs?: number;
  /**
   * The engine is another host's (`hosts:`): its name goes on each instance (`InstanceInfo.host`)
   * and its app is probed through `probe` (that host's proxy), since its loopback is not this one.
   */
  host?: { name: string; probe: Prober };
}

interface Tracked {
  info: InstanceInfo;
  container: Docker.Container;
  health: InstanceSpec['health'];
  graceMs: number;
  supervising: boolean;
  stopping: boolean;
  /** Set when the container stopped running before it was armed. */
  exit: { code: number | null } | null;
  /** The engine said the app died (exit code) and the restart is not seen yet. */
  died: { code: number | null; at: number } | null;
  crashReported: boolean;
  log: InstanceLog;
  masker: ReturnType<typeof createMasker>;
  probe: { cancelled: boolean } | null;
  following: string | null;
  refreshing: Promise<void> | null;
}

const [uid, gid] = APP_USER.split(':').map(Number) as [number, number];

/**
 * Creates the docker runtime over the engine at `socketPath`.
 *
 * @example
 * const runtime = await createDockerRuntime({ home, socketPath: '/run/docker.sock', images });
 */
export async function createDockerRuntime(options: DockerRuntimeOptions): Promise<Runtime> {
  const docker = await connectEngine(options.socketPath);
  const owner = createHash('sha256').update(resolve(options.home)).digest('hex').slice(0, 16);
  const mine = [`${LABEL.runtime}=docker`, `${LABEL.home}=${owner}`];
  const instances = new Map<string, Tracked>();
  const probing = options.host === undefined ? {} : { probe: options.host.probe };
  const onHost = options.host === undefined ? {} : { host: options.host.name };
  const listeners = new Set<(e: RuntimeEvent) => void>();
  const reserved = new Set<number>();
  let closed = false;
  const emit = (e: RuntimeEvent): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not stop supervision.
      }
    }
  };
  const open = (): void => {
    if (closed) throw new Error('the docker runtime is closed');
  };
  const logFile = (env: string, id: string): string => join(options.home, 'logs', env, `${id}.log`);
  const dataDir = (env: string): string => join(options.home, 'container-data', env);
  const releaseDir = (ref: ReleaseRef): string => join(options.home, 'containers', ref.env, releaseName(ref));

  const pickPort = async (): Promise<number> => {
    const pick = options.pickPort ?? freePort;
    const taken = (p: number): boolean => reserved.has(p) || [...instances.values()].some((t) => t.info.port === p);
    let port = await pick();
    for (let tries = 0; taken(port) && tries < 20; tries++) port = await pick();
    reserved.add(port);
    return port;
  };

  // The engine's events wake the refresh of the container they name at once; the poll is the fallback.
  const events = (await docker.getEvents({ filters: JSON.stringify({ type: ['container'], label: mine, event: ['die', 'start'] }) })) as NodeJS.ReadableStream & { destroy?: () => void };
  let pending = '';
  events.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const e = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
        const t = instances.get(e.Actor?.Attributes?.[LABEL.instance] ?? '');
        if (t === undefined) continue;
        if (e.Action === 'die') {
          const code = Number(e.Actor?.Attributes?.exitCode);
          t.died = { code: Number.isInteger(code) ? code : null, at: Date.now() };
        }
        void refresh(t);
      } catch {
        // Not an event line.
      }
    }
  });
  events.on('error', () => undefined);
  const timer = setInterval(() => {
    for (const t of instances.values()) void refresh(t);
  }, options.pollMs ?? 200);
  timer.unref();

  /** Follows the output of the container's current run into its masked log. */
  const follow = async (t: Tracked, startedAt: string): Promise<void> => {
    if (t.following === startedAt) return;
    t.following = startedAt;
    const since = Math.max(0, Date.parse(startedAt) / 1000 - 1);
    try {
      const stream = await t.container.logs({ follow: true, stdout: true, stderr: true, since });
      const out = new PassThrough();
      const err = new PassThrough();
      const so = t.log.sink('out');
      const se = t.log.sink('err');
      out.on('data', (c: Buffer) => so.push(c));
      err.on('data', (c: Buffer) => se.push(c));
      docker.modem.demuxStream(stream, out, err);
      stream.on('end', () => {
        so.end();
        se.end();
      });
    } catch {
      // The container is gone already: its last lines are read when its exit is reported.
    }
  };

  /** The container's last output, masked (for crash reports and failed starts). */
  const tail = async (t: Tracked, lines = 200): Promise<string[]> => {
    try {
      const buf = await t.container.logs({ follow: false, stdout: true, stderr: true, tail: lines });
      return t.masker.mask(demuxLogs(Buffer.from(buf)).map((f) => f.text).join('')).split('\n').filter((l) => l !== '');
    } catch {
      return [];
    }
  };

  const refresh = (t: Tracked): Promise<void> => {
    if (t.refreshing !== null) return t.refreshing;
    t.refreshing = observe(t).finally(() => (t.refreshing = null));
    return t.refreshing;
  };

  /** Inspects the container and turns what changed into state and events. */
  const observe = async (t: Tracked): Promise<void> => {
    if (t.stopping) return;
    let st: Docker.ContainerInspectInfo;
    try {
      st = await t.container.inspect();
    } catch (e) {
      if (statusOf(e) === 404 && !t.stopping && instances.has(t.info.id)) {
        // Removed by someone else: the instance is gone.
        instances.delete(t.info.id);
        t.info.state = 'stopped';
        if (t.supervising) emit({ kind: 'instance.stopped', instance: { ...t.info } });
        else t.exit = { code: null };
      }
      return;
    }
    const running = st.State.Running && !st.State.Restarting;
    if (!t.supervising) {
      if (!running && st.State.Status !== 'created') t.exit = { code: t.died?.code ?? st.State.ExitCode };
      return;
    }
    const restarted = st.RestartCount > t.info.restarts && running && st.State.Pid !== t.info.pid;
    if ((!running || restarted) && !t.crashReported) {
      t.crashReported = true;
      t.info.state = 'crashed';
      emit({ kind: 'instance.crashed', instance: { ...t.info }, exitCode: t.died?.code ?? (running ? null : st.State.ExitCode), signal: null, lastLines: (await tail(t, 20)) });
    }
    if (restarted) {
      const backoffMs = Math.max(1, Date.parse(st.State.StartedAt) - (t.died?.at ?? Date.parse(st.State.FinishedAt)));
      t.info.restarts = st.RestartCount;
      t.info.pid = st.State.Pid;
      t.info.state = 'starting';
      t.died = null;
      t.crashReported = false;
      emit({ kind: 'instance.restarted', instance: { ...t.info }, attempt: st.RestartCount, backoffMs: Number.isFinite(backoffMs) ? backoffMs : 1 });
      void follow(t, st.State.StartedAt);
      void reprobe(t, st.State.Pid, Date.parse(st.State.StartedAt));
    }
  };

  const reprobe = async (t: Tracked, pid: number, startedAt: number): Promise<void> => {
    if (t.probe !== null) t.probe.cancelled = true;
    const probe = { cancelled: false };
    t.probe = probe;
    const superseded = (): string | null => (probe.cancelled || t.stopping || t.info.pid !== pid ? 'superseded' : null);
    const r = await waitHealthy({ port: t.info.port, path: t.health.path, intervalMs: t.health.intervalMs, timeoutMs: t.health.timeoutMs, deadlineMs: t.health.startTimeoutMs, abort: superseded, ...probing });
    if (superseded() !== null) return;
    t.probe = null;
    if (r.ok) {
      t.info.state = 'healthy';
      emit({ kind: 'instance.healthy', instance: { ...t.info }, afterMs: Math.max(0, Math.round(Number.isFinite(startedAt) ? Date.now() - startedAt : r.afterMs)) });
    } else if (r.reason !== 'aborted') {
      t.info.state = 'unhealthy';
    }
  };

  const stopOne = async (t: Tracked): Promise<void> => {
    t.stopping = true;
    if (t.probe !== null) t.probe.cancelled = true;
    try {
      await t.container.stop({ t: Math.ceil(t.graceMs / 1000) });
    } catch (e) {
      if (statusOf(e) !== 304 && statusOf(e) !== 404) throw e;
    }
    await t.container.remove({ force: true }).catch((e: unknown) => {
      if (statusOf(e) !== 404 && statusOf(e) !== 409) throw e;
    });
    instances.delete(t.info.id);
    t.info.state = 'stopped';
    t.log.close();
    emit({ kind: 'instance.stopped', instance: { ...t.info } });
  };

  const track = (info: InstanceInfo, container: Docker.Container, spec: InstanceSpec): Tracked => {
    mkdirSync(join(options.home, 'logs', info.env), { recursive: true });
    const masker = createMasker((spec.secretValues ?? []).filter((v) => v !== ''));
    const t: Tracked = {
      info, container, health: spec.health, graceMs: spec.stopGraceMs, supervising: false, stopping: false, exit: null, died: null,
      crashReported: false, log: openInstanceLog(info.log, masker), masker, probe: null, following: null, refreshing: null,
    };
    instances.set(info.id, t);
    return t;
  };

  const prepare = async (ref: ReleaseRef): Promise<{ dir: string; image: string }> => {
    open();
    checkRef(ref);
    const image = await options.images.imageOf(ref.digest, ref.image);
    if (image === null) {
      throw new SlipwayError('not_found', `cannot prepare ${ref.env} v${ref.release}: no image ${ref.image === undefined ? `of artifact ${ref.digest}` : `${ref.image}`} is known`, 'set build.image: true and build the commit again, so that its image is built and pushed');
    }
    try {
      await docker.getImage(image).inspect();
    } catch {
      await pull(docker, image);
    }
    const dir = releaseDir(ref);
    const marker = join(dir, 'release.json');
    if (!existsSync(marker) || (JSON.parse(readFileSync(marker, 'utf8')) as { image?: string }).image !== image) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(marker, `${JSON.stringify({ schema: 'slipway/container-release@1', env: ref.env, release: ref.release, digest: ref.digest, image }, null, 2)}\n`);
    }
    return { dir, image };
  };

  const startOne = async (spec: InstanceSpec, image: string, index: number): Promise<{ ok: true; t: Tracked } | (Exclude<StartResult, { ok: true }> & { t: Tracked | null })> => {
    const port = await pickPort();
    const id = newInstanceId(spec.env, spec.release, index);
    const label = `${spec.env} v${spec.release} instance ${id}${options.host === undefined ? '' : ` on host ${options.host.name}`}`;
    const data = dataDir(spec.env);
    mkdirSync(data, { recursive: true, mode: 0o700 });
    chownSync(data, uid, gid);
    let container: Docker.Container;
    try {
      container = await docker.createContainer(containerCreateOptions({ spec, id, image, port, dataDir: data, owner }));
    } catch (e) {
      reserved.delete(port);
      return { ok: false, reason: 'spawn', message: `${label}: the engine could not create its container: ${(e as Error).message}`, lastLines: [], output: [], port, t: null };
    }
    const t = track({ id, env: spec.env, release: spec.release, digest: spec.digest, pid: 0, port, url: `http://127.0.0.1:${port}`, startedAt: new Date().toISOString(), restarts: 0, state: 'starting', log: logFile(spec.env, id), ...onHost }, container, spec);
    reserved.delete(port);
    const t0 = Date.now();
    try {
      await container.start();
    } catch (e) {
      return { ok: false, reason: 'spawn', message: `${label}: the engine could not start its container: ${(e as Error).message}`, lastLines: [], output: [], port, t };
    }
    const st = await container.inspect().catch(() => null);
    if (st !== null && st.State.Pid > 0) {
      t.info.pid = st.State.Pid;
      t.info.startedAt = st.State.StartedAt;
      emit({ kind: 'instance.started', instance: { ...t.info } });
      void follow(t, st.State.StartedAt);
    } else if (st !== null) {
      t.exit = { code: st.State.ExitCode };
    }
    const health = await waitHealthy({
      port, path: spec.health.path, intervalMs: spec.health.intervalMs, timeoutMs: spec.health.timeoutMs,
      deadlineMs: Math.max(0, t0 + spec.health.startTimeoutMs - Date.now()), abort: () => (t.exit !== null ? 'exited' : null), ...probing,
    });
    if (health.ok) {
      // Armed: from now on the engine restarts it after a crash, even while the control plane is down.
      await container.update({ RestartPolicy: { Name: 'unless-stopped' } });
      t.supervising = true;
      t.info.state = 'healthy';
      emit({ kind: 'instance.healthy', instance: { ...t.info }, afterMs: Date.now() - t0 });
      return { ok: true, t };
    }
    const output = await tail(t);
    const lastLines = output.slice(-20);
    if (health.reason === 'aborted') {
      const code = t.exit?.code ?? null;
      return { ok: false, reason: 'exited', message: `${label}: "${spec.command}" exited with code ${code ?? '?'} before answering GET ${spec.health.path} on 127.0.0.1:${port}`, lastLines, output, port, exit: { code, signal: null }, t };
    }
    const last = health.last;
    const status = last !== null && !last.ok && last.kind === 'status' ? last.status : undefined;
    if (status !== undefined) {
      return { ok: false, reason: 'unhealthy', message: `${label}: GET ${spec.health.path} answered ${status}, not 2xx${health.reason === 'rejected' ? ': set run.health.path to a path the app answers with 2xx' : ` until the start timeout (${spec.health.startTimeoutMs} ms)`}`, lastLines, output, port, status, t };
    }
    return { ok: false, reason: 'timeout', message: `${label}: no 2xx answer to GET ${spec.health.path} on 127.0.0.1:${port} within the start timeout (${spec.health.startTimeoutMs} ms); does the app listen on $PORT?`, lastLines, output, port, t };
  };

  const matching = (env: string, release?: number): Tracked[] => [...instances.values()].filter((t) => t.info.env === env && (release === undefined || t.info.release === release));

  return {
    prepare: async (ref) => ({ dir: (await prepare(ref)).dir }),

    async start(spec) {
      open();
      const { image } = await prepare(spec);
      const results = await Promise.all(Array.from({ length: spec.instances }, (_, i) => startOne(spec, image, i + 1)));
      const failed = results.find((r) => !r.ok);
      if (failed === undefined || failed.ok) return { ok: true, instances: results.flatMap((r) => (r.ok ? [{ ...r.t.info }] : [])) };
      // All or nothing: stop what did start, the failed one too.
      await Promise.all(results.flatMap((r) => (r.t !== null && instances.has(r.t.info.id) ? [stopOne(r.t)] : [])));
      const { t: _t, ...failure } = failed;
      return failure;
    },

    list: (env, release) => matching(env, release).map((t) => ({ ...t.info })),

    async stop(env, release) {
      open();
      await Promise.all(matching(env, release).map(stopOne));
    },

    async adopt(recorded, specOf) {
      open();
      const adopted: InstanceInfo[] = [];
      for (const r of recorded) {
        const known = instances.get(r.id);
        if (known !== undefined) {
          adopted.push({ ...known.info });
          continue;
        }
        expectEnvName(r.env);
        if (!isInstanceId(r.id)) continue;
        const spec = specOf({ env: r.env, release: r.release, digest: r.digest });
        if (spec === undefined) continue;
        const container = docker.getContainer(containerName(r.id));
        const st = await container.inspect().catch(() => null);
        if (st === null || st.Config.Labels[LABEL.instance] !== r.id || st.Config.Labels[LABEL.home] !== owner || !st.State.Running) continue;
        const port = Number(st.Config.Labels[LABEL.port]);
        const t = track({ ...r, pid: st.State.Pid, port, url: `http://127.0.0.1:${port}`, restarts: st.RestartCount, state: 'starting', log: logFile(r.env, r.id), ...onHost }, container, spec);
        const h = await waitHealthy({ port, path: spec.health.path, intervalMs: spec.health.intervalMs, timeoutMs: spec.health.timeoutMs, deadlineMs: Math.min(spec.health.startTimeoutMs, 2000), ...probing });
        t.info.state = h.ok ? 'healthy' : 'unhealthy';
        await container.update({ RestartPolicy: { Name: 'unless-stopped' } });
        t.supervising = true;
        void follow(t, new Date().toISOString());
        adopted.push({ ...t.info });
      }
      return adopted;
    },

    async sweep() {
      open();
      const swept: SweptInstance[] = [];
      const found = await docker.listContainers({ all: true, filters: JSON.stringify({ label: mine }) });
      for (const c of found) {
        const id = c.Labels[LABEL.instance] ?? '';
        if (instances.has(id)) continue;
        const container = docker.getContainer(c.Id);
        const st = await container.inspect().catch(() => null);
        if (st === null) continue;
        await container.stop().catch(() => undefined);
        const after = await container.inspect().catch(() => null);
        await container.remove({ force: true }).catch(() => undefined);
        if (st.State.Running) swept.push({ id, env: c.Labels[LABEL.env] ?? '', pids: [st.State.Pid], killed: after?.State.ExitCode === 137 });
      }
      return swept;
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close(opts = {}) {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      events.destroy?.();
      if (opts.stopInstances === true) await Promise.all([...instances.values()].map(stopOne));
      for (const t of instances.values()) {
        if (t.probe !== null) t.probe.cancelled = true;
        t.log.close();
      }
      instances.clear();
      listeners.clear();
    },
  };
}

/** Pulls an image by its digest reference; the engine checks the bytes against the digest. */
async function pull(docker: Docker, image: string): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      void docker.pull(image, (e: Error | null, stream: NodeJS.ReadableStream) => {
        if (e) return reject(e);
        docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      });
    });
  } catch (e) {
    throw new SlipwayError('unavailable', `cannot pull ${image}: ${(e as Error).message}`, 'check that the registry runs and that the engine may pull from it');
  }
}
