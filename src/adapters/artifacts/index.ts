// Slipway's artifact machinery for the engine: build once, store by digest, sign, verify.

export {
  createArtifactService,
  type ArtifactInspection,
  type ArtifactService,
  type ArtifactServiceOptions,
  type ArtifactVerdict,
  type StoreBuildInput,
  type StoreBuildResult,
} from './service.js';
export { createFsArtifactStore, type FsStoreOptions } from './fs-store.js';
export { diffManifests, type ArtifactManifest, type ManifestDiff, type ManifestEntry } from '../../core/artifact/manifest.js';
export { parseDigestRef, shortDigest, type Digest } from '../../core/artifact/digest.js';
export type { StatementInput, Statement } from '../../core/artifact/provenance.js';
export type { ArtifactStore, StoreVerdict, StoredArtifact } from '../../ports/artifacts.js';
