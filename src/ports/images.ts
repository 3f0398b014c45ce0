// The images port: the OCI image of a stored artifact, built, pushed to a registry by digest and
// signed (`build.image`), and, before a container runs it, checked against its provenance.
// Adapter: adapters/image (createImages).
import type { ImageTarget } from '../core/config/types.js';

export interface PublishImage {
  /** The stored artifact's digest. */
  artifact: string;
  /** The commit time, seconds since the epoch: every mtime and the image's `created`. */
  created: number;
  target: ImageTarget;
  /** Recorded in the image's provenance. */
  invocationId: string;
  startedOn: string;
}

export interface PublishedImage {
  /** `host/repository@sha256:…`: how every later step names the image. */
  ref: string;
  /** The image (manifest) digest. */
  digest: string;
  /** Whether the base layer came from the cache. */
  baseCached: boolean;
}

export interface Images {
  /**
   * Builds the image of the artifact, pushes it by digest and records its signed provenance.
   * Throws `unavailable` when the registry does not answer, `failed` when it refuses the push.
   */
  publish(input: PublishImage): Promise<PublishedImage>;
  /**
   * The recorded image of an artifact once its provenance verifies, names this image digest and
   * artifact, and the registry serves those exact bytes; null when no image was recorded. Throws
   * `refused` when anything does not match.
   */
  imageOf(artifact: string): Promise<string | null>;
  /** Like `imageOf`, for the very image a release names (`host/repository@sha256:…`). */
  check(image: string, artifact: string): Promise<string | null>;
}
