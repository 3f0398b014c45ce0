// OCI image documents as pure data: the image config and the manifest of an image made of
// uncompressed layers (a layer's digest is then its diff id), serialised with the one canonical
// JSON, so that the same layers and the same creation time always give the same image digest.
// Uncompressed on purpose, as for artifacts: deflate output differs across zlib builds.

import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

/** A blob as a manifest names it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ImageSpec {
  /** Uncompressed layers, bottom first. */
  layers: Descriptor[];
  /** Seconds since the epoch: the commit time, as for the artifact's mtimes. */
  created: number;
  /** `process.arch` of the builder (x64 → amd64). */
  arch: string;
  env: Record<string, string>;
  workingDir: string;
  /** Annotations of the manifest, e.g. the artifact the image was made from. */
  annotations: Record<string, string>;
}

export interface ImageDocuments {
  config: Buffer;
  configDescriptor: Descriptor;
  manifest: Buffer;
  /** The image digest: `sha256:` of the manifest bytes. */
  digest: string;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** OCI names of Node's architectures. */
export function ociArch(arch: string): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' };
  return names[arch] ?? arch;
}

/**
 * The config and manifest of an image. Same spec, same bytes, same digest.
 *
 * @example imageDocuments({ layers: [base, app], created: 1714557600, arch: 'x64', env: { PATH: '/usr/local/bin:/usr/bin:/bin' }, workingDir: '/app', annotations: {} }).digest
 */
export function imageDocuments(spec: ImageSpec): ImageDocuments {
  const created = new Date(spec.created * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const config = Buffer.from(canonicalJson({
    architecture: ociArch(spec.arch),
    os: 'linux',
    created,
    config: {
      Env: Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`),
      WorkingDir: spec.workingDir,
    },
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.digest) },
    history: spec.layers.map((_, i) => ({ created, created_by: i === 0 ? 'slipway: base runtime' : 'slipway: artifact' })),
  }));
  const configDescriptor: Descriptor = { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length };
  const manifest = Buffer.from(canonicalJson({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: configDescriptor,
    layers: spec.layers,
    ...(Object.keys(spec.annotations).length > 0 ? { annotations: spec.annotations } : {}),
  }));
  return { config, configDescriptor, manifest, digest: sha256(manifest) };
}

/** `host/repo@sha256:…`: how every step after the build names an image (never by tag). */
export const imageRef = (repository: string, digest: string): string => `${repository}@${digest}`;

/** A repository path of a registry: lowercase segments (a-z, 0-9, `.` `_` `-` between), separated by `/`. */
export const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const REGISTRY_HOST = /^[a-z0-9.-]+(?::\d{1,5})?$/;

/** Whether a registry host is on loopback: the one place plain HTTP is used (as the Docker Engine does). */
export const isLoopbackRegistry = (host: string): boolean => ['127.0.0.1', 'localhost'].includes(host.replace(/:\d+$/, ''));

/**
 * Splits `host[:port]/repository` (`build.registry`), or says what is wrong with it. A tag or a
 * digest has no place there: every image is pushed and named by its digest.
 */
export function parseRegistry(s: string): { ok: true; host: string; repository: string } | { ok: false; message: string } {
  const slash = s.indexOf('/');
  if (/^[a-z]+:\/\//i.test(s)) return { ok: false, message: `"${s}" has a scheme; write host[:port]/repository (HTTPS is used, plain HTTP only to 127.0.0.1 or localhost)` };
  if (slash <= 0) return { ok: false, message: `"${s}" is not host[:port]/repository` };
  const host = s.slice(0, slash);
  const repository = s.slice(slash + 1);
  if (!REGISTRY_HOST.test(host)) return { ok: false, message: `"${host}" is not a registry host[:port] (lowercase name or address, optional port)` };
  const port = /:(\d+)$/.exec(host)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return { ok: false, message: `port ${port} of "${host}" is not 1..65535` };
  if (/[@:]/.test(repository)) return { ok: false, message: `"${repository}" names a tag or a digest; write the repository only (images are pushed by digest)` };
  if (!REPOSITORY.test(repository)) return { ok: false, message: `repository "${repository}" must be lowercase path segments (a-z, 0-9, . _ -, separated by /)` };
  return { ok: true, host, repository };
}

/** Splits `host[:port]/path@sha256:<hex>`; null for anything else (a tag, no host, a bad digest). */
export function parseImageRef(ref: string): { host: string; name: string; digest: string } | null {
  const m = /^([a-z0-9.-]+(?::\d{1,5})?)\/([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)@(sha256:[0-9a-f]{64})$/.exec(ref);
  return m === null ? null : { host: m[1] as string, name: m[2] as string, digest: m[3] as string };
}
