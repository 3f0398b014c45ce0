// What the docker runtime asks the engine for, as data (kamal's habit): the create options of one
// instance's container, built by a pure function and tested by comparing values.

import type { InstanceSpec } from '../../../ports/runtime.js';

/** Labels Slipway puts on its containers: names and numbers only, never a value from config or secrets. */
export const LABEL = {
  runtime: 'dev.slipway.runtime',
  instance: 'dev.slipway.instance',
  env: 'dev.slipway.env',
  release: 'dev.slipway.release',
  digest: 'dev.slipway.digest',
  port: 'dev.slipway.port',
  /** Which Slipway home owns the container (a hash of its path): one engine may serve several. */
  home: 'dev.slipway.home',
} as const;

/** The uid and gid apps run as inside their containers (nobody): the image's files are root's, read-only. */
export const APP_USER = '65534:65534';
/** Where SLIPWAY_DATA_DIR is mounted in the container. */
export const DATA_MOUNT = '/data';

export interface ContainerInput {
  spec: InstanceSpec;
  id: string;
  /** `host/repository@sha256:…` */
  image: string;
  port: number;
  /** The host directory mounted at /data. */
  dataDir: string;
  /** The owning home's label value. */
  owner: string;
}

/** Container names: `slipway-<instance id>` (what `adopt` finds an instance by). */
export const containerName = (id: string): string => `slipway-${id}`;

/**
 * The Engine API body of `POST /containers/create` for one instance: the image by digest, the
 * shell command in /app, the host network (the app listens on 127.0.0.1:$PORT, as a process does),
 * a read-only root with a private /tmp, /data from the host, no capabilities, no new privileges,
 * no restart policy until the instance is healthy (`armed`), bounded json-file logs.
 */
export function containerCreateOptions(c: ContainerInput): Record<string, unknown> {
  const { spec } = c;
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  Object.assign(env, spec.vars, {
    PORT: String(c.port), SLIPWAY_ENV: spec.env, SLIPWAY_RELEASE: `v${spec.release}`, SLIPWAY_DIGEST: spec.digest,
    SLIPWAY_INSTANCE: c.id, SLIPWAY_DATA_DIR: DATA_MOUNT, TMPDIR: '/tmp', HOME: '/tmp',
  });
  return {
    name: containerName(c.id),
    Image: c.image,
    Cmd: ['/bin/sh', '-c', spec.command],
    WorkingDir: '/app',
    User: APP_USER,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL.runtime]: 'docker', [LABEL.instance]: c.id, [LABEL.env]: spec.env, [LABEL.release]: String(spec.release),
      [LABEL.digest]: spec.digest, [LABEL.port]: String(c.port), [LABEL.home]: c.owner,
    },
    StopSignal: 'SIGTERM',
    StopTimeout: Math.max(0, Math.ceil(spec.stopGraceMs / 1000)),
    HostConfig: {
      NetworkMode: 'host',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=268435456' },
      Binds: [`${c.dataDir}:${DATA_MOUNT}:rw`],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}
