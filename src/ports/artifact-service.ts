// The artifact-service port: what the engine needs of the artifact machinery — build, check,
// compare and unpack artifacts by digest (adapters/artifacts/engine-adapter.ts implements it over
// the artifact store, the archive format and the signer).
import type { KeepKind } from '../core/artifact/lean.js';
import type { BuildRuntime } from '../core/artifact/provenance.js';

export interface BuildProvenanceInput {
  commit: string;
  repo: string;
  app: string;
  pipelineFileDigest: string;
  builderId: string;
  invocationId: string;
  startedOn: string;
  finishedOn: string;
  buildCommand?: string;
  sourceDateEpoch: number;
  /** The Node.js version, platform and architecture the build ran on. */
  runtime?: BuildRuntime;
}

/** How a build is packed: what `build.keep` brings back of what the lean rule leaves out. */
export interface PackChoice {
  keep: readonly KeepKind[];
}

export interface StoredArtifact {
  digest: string;
  existed: boolean;
  size: number;
  files: number;
  /** Entries the lean rule left out (a left-out directory counts once). */
  leftOut: number;
}

export type ArtifactCheck =
  | { ok: true; digest: string; keyid: string }
  | { ok: false; digest: string; reason: 'missing' | 'corrupt' | 'bad-signature' | 'no-provenance'; message: string };

export interface FileDifference {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ArtifactService {
  /** Packs `paths` of `workdir` deterministically, stores the archive by digest and signs its provenance. */
  storeBuild(workdir: string, paths: string[], provenance: BuildProvenanceInput, pack: PackChoice): Promise<StoredArtifact>;
  /** Packs without storing, for a reproducibility check; returns the digest and its difference from `against`. */
  compareBuild(workdir: string, paths: string[], against: string, pack: PackChoice): Promise<{ digest: string; same: boolean; diff: FileDifference }>;
  /** The runtime a stored artifact's verified provenance records; null when it records none. */
  builtOn(digest: string): Promise<BuildRuntime | null>;
  /** Full digest for a digest, bare hex or unique prefix; undefined when unknown. */
  resolve(ref: string): Promise<string | undefined>;
  verify(digest: string): Promise<ArtifactCheck>;
  /** The stored archive's path (read-only), for scanners. */
  path(digest: string): Promise<string>;
  inspect(digest: string): Promise<Record<string, unknown>>;
  /** Unpacks a verified artifact into `dest`, refusing entries that escape it. */
  unpack(digest: string, dest: string, opts?: { overwrite?: boolean }): Promise<void>;
}
