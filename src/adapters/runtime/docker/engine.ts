// Reaching a Docker Engine: a dockerode client pinned to the Engine API version Slipway speaks,
// after checking that the engine speaks it (an older engine gets a clear error, not a 400 later).

import Docker from 'dockerode';
import { SlipwayError } from '../../../core/errors.js';

/** The Engine API version Slipway uses: Docker 20.10 and newer. */
export const ENGINE_API_VERSION = '1.41';

/** -1, 0, 1 for API versions `major.minor`. */
export function compareApiVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am !== bm ? Math.sign(am - bm) : Math.sign(an - bn);
}

/** The engine's socket when DOCKER_HOST is not set (Debian's docker.io). */
export const DEFAULT_DOCKER_SOCKET = '/run/docker.sock';

/**
 * The socket of the engine Slipway drives: DOCKER_HOST when it is `unix:///path`, else the
 * default. Any other DOCKER_HOST (tcp://, ssh://) is refused: the engine is reached on this
 * machine only, through a socket whose file permissions guard it.
 */
export function dockerSocket(env: Readonly<Record<string, string | undefined>>): string {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return DEFAULT_DOCKER_SOCKET;
  const m = /^unix:\/\/(\/[^\0]*)$/.exec(host);
  if (m === null) throw new SlipwayError('config', `DOCKER_HOST=${host} is not a local socket; Slipway drives a Docker Engine through unix:///path only`, `unset DOCKER_HOST to use ${DEFAULT_DOCKER_SOCKET}, or set it to unix:///path/to/docker.sock`);
  return m[1] as string;
}

/**
 * A client of the engine at `socketPath`, after asking the engine its version. Throws
 * `SlipwayError('unavailable')` when nothing answers and `refused` when the engine is too old.
 */
export async function connectEngine(socketPath: string): Promise<Docker> {
  let version: { ApiVersion?: string; Version?: string };
  try {
    version = (await new Docker({ socketPath }).version());
  } catch (e) {
    throw new SlipwayError('unavailable', `cannot reach the Docker Engine at ${socketPath}: ${(e as Error).message}`, 'start dockerd, or point Slipway at its socket');
  }
  const api = String(version.ApiVersion ?? '0.0');
  if (!/^\d+\.\d+$/.test(api) || compareApiVersions(api, ENGINE_API_VERSION) < 0) {
    throw new SlipwayError(
      'refused',
      `the Docker Engine at ${socketPath} (version ${String(version.Version ?? '?')}) speaks Engine API ${api}; Slipway needs ${ENGINE_API_VERSION} or newer`,
      'upgrade the engine to Docker 20.10 or newer',
    );
  }
  return new Docker({ socketPath, version: `v${ENGINE_API_VERSION}` });
}

/** The status code of an Engine API error (dockerode puts it on `statusCode`), or null. */
export const statusOf = (e: unknown): number | null => {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : null;
};

/** Splits the engine's multiplexed log bytes (8-byte frame headers) into stdout and stderr text. */
export function demuxLogs(buf: Buffer): { stream: 'out' | 'err'; text: string }[] {
  const out: { stream: 'out' | 'err'; text: string }[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const kind = buf[at];
    const size = buf.readUInt32BE(at + 4);
    out.push({ stream: kind === 2 ? 'err' : 'out', text: buf.subarray(at + 8, at + 8 + size).toString('utf8') });
    at += 8 + size;
  }
  return out;
}
