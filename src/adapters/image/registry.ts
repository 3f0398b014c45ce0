// Pushes and checks images over the Registry HTTP API v2 (the OCI distribution spec) with undici:
// each blob by digest (skipped when the registry has it), then the manifest by digest, never by
// tag. The registry's own digest of the manifest must be ours, or the push fails.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request } from 'undici';
import { SlipwayError } from '../../core/errors.js';
import { imageRef, isLoopbackRegistry, OCI_MANIFEST, parseImageRef, REPOSITORY, type Descriptor } from '../../core/image/oci.js';
import { blobPath, type BuiltImage } from './build.js';

export interface RegistryTarget {
  /** `host[:port]`, e.g. `127.0.0.1:5000`. */
  host: string;
  /** Repository path, e.g. `slipway/shop`. */
  repository: string;
  /** `http` only for a registry on loopback; default `https`. */
  scheme?: 'http' | 'https';
}


/** Why a registry target is unusable, or null. Plain HTTP only to a loopback registry. */
export function registryProblem(t: RegistryTarget): string | null {
  if (!/^[a-z0-9.-]+(?::\d{1,5})?$/.test(t.host)) return `registry "${t.host}" is not host[:port]`;
  if (!REPOSITORY.test(t.repository)) return `repository "${t.repository}" must be lowercase path segments (a-z, 0-9, . _ -, separated by /)`;
  if ((t.scheme ?? 'https') === 'http' && !isLoopbackRegistry(t.host)) return `plain HTTP is allowed only to a registry on 127.0.0.1, not ${t.host}`;
  return null;
}

const base = (t: RegistryTarget): string => `${t.scheme ?? 'https'}://${t.host}/v2/${t.repository}`;

/** One call; a registry that cannot be reached is `unavailable`, named with what was tried. */
async function call(t: RegistryTarget, what: string, url: string, opts: Parameters<typeof request>[1] = {}): Promise<Awaited<ReturnType<typeof request>>> {
  try {
    return await request(url, { headersTimeout: 30_000, bodyTimeout: 120_000, ...opts });
  } catch (e) {
    throw new SlipwayError('unavailable', `cannot ${what}: the registry ${t.host} did not answer (${(e as Error).message})`, `check that the registry runs and that build.registry names it`);
  }
}

async function refusal(t: RegistryTarget, what: string, res: Awaited<ReturnType<typeof request>>): Promise<SlipwayError> {
  const body = (await res.body.text().catch(() => '')).slice(0, 300).trim();
  const hint = res.statusCode === 401 || res.statusCode === 403 ? 'the registry wants credentials Slipway was not given' : 'see the registry\'s log';
  return new SlipwayError('failed', `cannot ${what}: the registry ${t.host} answered ${res.statusCode}${body === '' ? '' : `: ${body}`}`, hint);
}

async function pushBlob(t: RegistryTarget, home: string, d: Descriptor, data?: Buffer): Promise<void> {
  const what = `push blob ${d.digest.slice(0, 19)} to ${t.host}/${t.repository}`;
  const head = await call(t, what, `${base(t)}/blobs/${d.digest}`, { method: 'HEAD' });
  await head.body.dump();
  if (head.statusCode === 200) return;
  const start = await call(t, what, `${base(t)}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
  if (start.statusCode !== 202) throw await refusal(t, what, start);
  await start.body.dump();
  const location = start.headers.location;
  if (typeof location !== 'string') throw new SlipwayError('failed', `cannot ${what}: the registry gave no upload location`);
  const upload = new URL(location, `${t.scheme ?? 'https'}://${t.host}`);
  if (upload.host !== t.host) throw new SlipwayError('refused', `cannot ${what}: the registry sent the upload to another host (${upload.host})`);
  upload.searchParams.set('digest', d.digest);
  const put = await call(t, what, upload.toString(), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(d.size) },
    body: data ?? createReadStream(blobPath(home, d.digest)),
  });
  if (put.statusCode !== 201) throw await refusal(t, what, put);
  await put.body.dump();
}

/**
 * Pushes an image built by `buildImage` and returns its reference, `host/repository@sha256:…`.
 * Throws `SlipwayError('unavailable')` when the registry is down, `failed` when it refuses.
 */
export async function pushImage(t: RegistryTarget, home: string, image: BuiltImage): Promise<string> {
  const problem = registryProblem(t);
  if (problem !== null) throw new SlipwayError('config', problem);
  for (const layer of image.layers) await pushBlob(t, home, layer);
  await pushBlob(t, home, image.configDescriptor, image.config);
  const what = `push the manifest of ${image.digest} to ${t.host}/${t.repository}`;
  const put = await call(t, what, `${base(t)}/manifests/${image.digest}`, { method: 'PUT', headers: { 'content-type': OCI_MANIFEST }, body: image.manifest });
  if (put.statusCode !== 201) throw await refusal(t, what, put);
  await put.body.dump();
  const theirs = put.headers['docker-content-digest'];
  if (typeof theirs === 'string' && theirs !== image.digest) {
    throw new SlipwayError('corrupt', `the registry ${t.host} stored the manifest of ${image.digest} as ${theirs}`, 'the registry rewrote the manifest; use a registry that keeps manifests as pushed');
  }
  return imageRef(`${t.host}/${t.repository}`, image.digest);
}

/**
 * The manifest bytes the registry serves for `ref` (`host/repo@sha256:…`), checked against the
 * digest in the reference. Throws `not_found` when it has none, `corrupt` on a mismatch.
 */
export async function fetchManifest(ref: string, scheme: 'http' | 'https' = 'https'): Promise<Buffer> {
  const p = parseImageRef(ref);
  if (p === null) throw new SlipwayError('usage', `"${ref}" is not an image reference by digest (host/repository@sha256:<hex>)`);
  const t: RegistryTarget = { host: p.host, repository: p.name, scheme };
  const res = await call(t, `read ${ref}`, `${base(t)}/manifests/${p.digest}`, { headers: { accept: OCI_MANIFEST } });
  if (res.statusCode === 404) {
    await res.body.dump();
    throw new SlipwayError('not_found', `the registry ${p.host} has no image ${ref}`);
  }
  if (res.statusCode !== 200) throw await refusal(t, `read ${ref}`, res);
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (got !== p.digest) throw new SlipwayError('corrupt', `the registry ${p.host} served ${got} for ${ref}`, 'the image in the registry is not the one that was built; build and push it again');
  return bytes;
}
