// What the engine needs of the artifact machinery (adapters/artifacts implements it).

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
  runtime?: { node: string; platform: string; arch: string };
}

export interface StoredArtifact {
  digest: string;
  existed: boolean;
  size: number;
  files: number;
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
  storeBuild(workdir: string, paths: string[], provenance: BuildProvenanceInput): Promise<StoredArtifact>;
  /** Packs without storing, for a reproducibility check; returns the digest and its difference from `against`. */
  compareBuild(workdir: string, paths: string[], against: string): Promise<{ digest: string; same: boolean; diff: FileDifference }>;
  /** Full digest for a digest, bare hex or unique prefix; undefined when unknown. */
  resolve(ref: string): Promise<string | undefined>;
  verify(digest: string): Promise<ArtifactCheck>;
  /** The stored archive's path (read-only), for scanners. */
  path(digest: string): Promise<string>;
  inspect(digest: string): Promise<Record<string, unknown>>;
  /** Unpacks a verified artifact into `dest`, refusing entries that escape it. */
  unpack(digest: string, dest: string, opts?: { overwrite?: boolean }): Promise<void>;
}
