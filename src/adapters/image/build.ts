// Builds an OCI image from a stored artifact without `docker build`: the cached base layer (the
// Node runtime, base-root.ts) and one layer holding the verified, unpacked artifact at /app, both
// deterministic tars, and the config and manifest of core/image/oci.ts. The same artifact and the
// same creation time give the same image digest, on any run. Blobs are kept under
// `<home>/images/blobs/sha256/<hex>`, as in an OCI image layout.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageDocuments, OCI_LAYER_TAR, type Descriptor } from '../../core/image/oci.js';
import { packDeterministic } from '../archive/index.js';
import { baseRootFiles, baseRootKey, packBaseRoot, type RootFile } from './base-root.js';

/** What the builder needs of the artifact service: a verifying unpack. */
export interface ArtifactUnpacker {
  unpack(ref: string, destDir: string): Promise<unknown>;
}

export interface BuildImageInput {
  /** Slipway's home. */
  home: string;
  artifacts: ArtifactUnpacker;
  /** The artifact's digest. */
  artifact: string;
  /** Seconds since the epoch, the artifact's own mtime (the commit time). */
  created: number;
  /** The base root's files; default: this Node and /bin/sh (for tests). */
  baseFiles?: readonly RootFile[];
}

export interface BuiltImage {
  /** The image (manifest) digest. */
  digest: string;
  manifest: Buffer;
  config: Buffer;
  configDescriptor: Descriptor;
  layers: Descriptor[];
  artifact: string;
  /** Whether the base layer came from the cache. */
  baseCached: boolean;
}

export const IMAGE_PATH = '/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin';
export const ANNOTATION_ARTIFACT = 'dev.slipway.artifact';

export const blobDir = (home: string): string => join(home, 'images', 'blobs', 'sha256');
export const blobPath = (home: string, digest: string): string => join(blobDir(home), digest.slice('sha256:'.length));

/** Moves a finished file into the blob store under its digest (an existing blob is the same bytes). */
function storeBlob(home: string, file: string, digest: string): void {
  const dest = blobPath(home, digest);
  if (existsSync(dest)) rmSync(file, { force: true });
  else renameSync(file, dest);
}

function writeBlob(home: string, data: Buffer, digest: string): void {
  const dest = blobPath(home, digest);
  if (existsSync(dest)) return;
  const tmp = `${dest}.${randomBytes(4).toString('hex')}.partial`;
  writeFileSync(tmp, data);
  renameSync(tmp, dest);
}

/** The base layer, packed once per runtime (its key: the files' paths, sizes, mtimes, inodes). */
async function baseLayer(home: string, files: readonly RootFile[]): Promise<{ layer: Descriptor; cached: boolean }> {
  const cacheDir = join(home, 'images', 'base');
  mkdirSync(cacheDir, { recursive: true });
  const record = join(cacheDir, `${baseRootKey(files)}.json`);
  if (existsSync(record)) {
    const r = JSON.parse(readFileSync(record, 'utf8')) as { digest: string; size: number };
    const blob = blobPath(home, r.digest);
    if (existsSync(blob) && statSync(blob).size === r.size) return { layer: { mediaType: OCI_LAYER_TAR, digest: r.digest, size: r.size }, cached: true };
  }
  const tmp = join(blobDir(home), `.base-${randomBytes(4).toString('hex')}.tar`);
  const packed = await packBaseRoot(files, tmp);
  storeBlob(home, tmp, packed.digest);
  writeFileSync(record, `${JSON.stringify({ digest: packed.digest, size: packed.size })}\n`);
  return { layer: { mediaType: OCI_LAYER_TAR, digest: packed.digest, size: packed.size }, cached: false };
}

/**
 * Builds the image of a stored artifact (verified as it is unpacked) and keeps its blobs.
 *
 * @example const image = await buildImage({ home, artifacts, artifact: digest, created: commitTime });
 */
export async function buildImage(input: BuildImageInput): Promise<BuiltImage> {
  mkdirSync(blobDir(input.home), { recursive: true });
  const base = await baseLayer(input.home, input.baseFiles ?? baseRootFiles());
  const work = mkdtempSync(join(blobDir(input.home), '.app-'));
  let app: Descriptor;
  try {
    await input.artifacts.unpack(input.artifact, join(work, 'root', 'app'));
    const tar = join(work, 'app.tar');
    const packed = await packDeterministic(join(work, 'root'), ['app'], tar, { mtime: input.created });
    storeBlob(input.home, tar, packed.digest);
    app = { mediaType: OCI_LAYER_TAR, digest: packed.digest, size: packed.size };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const docs = imageDocuments({
    layers: [base.layer, app],
    created: input.created,
    arch: process.arch,
    env: { PATH: IMAGE_PATH },
    workingDir: '/app',
    annotations: { [ANNOTATION_ARTIFACT]: input.artifact },
  });
  writeBlob(input.home, docs.config, docs.configDescriptor.digest);
  writeBlob(input.home, docs.manifest, docs.digest);
  return { digest: docs.digest, manifest: docs.manifest, config: docs.config, configDescriptor: docs.configDescriptor, layers: [base.layer, app], artifact: input.artifact, baseCached: base.cached };
}
