// The images port over this folder: build (build.ts), push (registry.ts), record and check
// (records.ts). Plain HTTP is used only for a registry on loopback, as the Docker Engine does.
import { isLoopbackRegistry } from '../../core/image/oci.js';
import type { Images } from '../../ports/images.js';
import type { EnvelopeVerifier, Signer } from '../../ports/signer.js';
import { buildImage, type ArtifactUnpacker } from './build.js';
import { createImageResolver, recordImage } from './records.js';
import { pushImage } from './registry.js';

export interface ImagesOptions {
  home: string;
  artifacts: ArtifactUnpacker;
  signer: Signer;
  verifier: EnvelopeVerifier;
  /** Keys besides the signer's whose image provenance is trusted (SPKI PEM). */
  trustedKeys?: readonly string[];
  /** Builder id recorded in the provenance. */
  builderId?: string;
}

/** The scheme Slipway speaks to a registry: HTTPS, but plain HTTP to one on loopback. */
export const registryScheme = (host: string): 'http' | 'https' => (isLoopbackRegistry(host) ? 'http' : 'https');

/**
 * @example const images = createImages({ home, artifacts, signer, verifier: ed25519Verifier });
 */
export function createImages(o: ImagesOptions): Images {
  const resolver = createImageResolver({ home: o.home, verifier: o.verifier, trustedKeys: [o.signer.publicKeyPem, ...(o.trustedKeys ?? [])] });
  return {
    async publish(input) {
      const built = await buildImage({ home: o.home, artifacts: o.artifacts, artifact: input.artifact, created: input.created });
      const { registry, repository } = input.target;
      const ref = await pushImage({ host: registry, repository, scheme: registryScheme(registry) }, o.home, built);
      recordImage(o.home, o.signer, built, ref, {
        builderId: o.builderId ?? 'https://slipway.dev/builder/local@v1',
        invocationId: input.invocationId,
        startedOn: input.startedOn,
        finishedOn: new Date().toISOString(),
      });
      return { ref, digest: built.digest, baseCached: built.baseCached };
    },
    imageOf: (artifact) => resolver.imageOf(artifact),
    check: (image, artifact) => resolver.imageOf(artifact, image),
  };
}
