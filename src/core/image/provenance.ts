// The provenance of an image as an in-toto Statement v1 with a SLSA v1 predicate: the image digest
// is its subject; the artifact it was made from and the base layer are what it resolved. Pure; the
// signer port signs `statementBytes` of it, like an artifact's statement.

import { isDigest } from '../artifact/digest.js';
import { SLSA_PROVENANCE_V1, STATEMENT_TYPE, type Statement } from '../artifact/provenance.js';

/** Names how Slipway makes images: the artifact unpacked at /app over a base layer, no `docker build`. */
export const SLIPWAY_IMAGE_BUILD_TYPE = 'https://slipway.dev/build-types/oci-image/v1';

export interface ImageStatementInput {
  /** `host/repository`, the subject's name. */
  repository: string;
  /** The image (manifest) digest. */
  image: string;
  artifact: string;
  baseLayer: string;
  builderId: string;
  invocationId: string;
  startedOn: string;
  finishedOn: string;
}

export function imageStatement(i: ImageStatementInput): Statement {
  for (const k of ['image', 'artifact', 'baseLayer'] as const) if (!isDigest(i[k])) throw new TypeError(`imageStatement: ${k} must be sha256:<64 hex>, got "${i[k]}"`);
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: i.repository, digest: { sha256: i.image.slice(7) } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: SLIPWAY_IMAGE_BUILD_TYPE,
        externalParameters: { artifact: i.artifact },
        internalParameters: { layers: 'uncompressed deterministic tar', workingDir: '/app' },
        resolvedDependencies: [
          { name: 'artifact', digest: { sha256: i.artifact.slice(7) } },
          { name: 'base-layer', digest: { sha256: i.baseLayer.slice(7) } },
        ],
      },
      runDetails: { builder: { id: i.builderId }, metadata: { invocationId: i.invocationId, startedOn: i.startedOn, finishedOn: i.finishedOn }, byproducts: [] },
    },
  };
}

/**
 * Why a statement does not vouch for `image` made from `artifact`, or null when it does: its
 * build type, its subject's digest and its artifact must all match.
 */
export function imageStatementProblem(s: Statement, image: string, artifact: string): string | null {
  if (s.predicate.buildDefinition.buildType !== SLIPWAY_IMAGE_BUILD_TYPE) return `it is not an image provenance (${s.predicate.buildDefinition.buildType})`;
  const subject = s.subject[0]?.digest.sha256;
  if (subject === undefined || `sha256:${subject}` !== image) return `it names image sha256:${subject ?? '?'}, not ${image}`;
  const dep = s.predicate.buildDefinition.resolvedDependencies.find((d) => d.name === 'artifact')?.digest.sha256;
  if (dep === undefined || `sha256:${dep}` !== artifact) return `it was made from artifact sha256:${dep ?? '?'}, not ${artifact}`;
  return null;
}
