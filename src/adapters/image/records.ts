// Which image runs an artifact, and why it may: after a push, the image's reference and its signed
// provenance are kept in `<home>/images/by-artifact/<hex>.json`; before a deploy, the resolver
// checks the signature, that the statement names this image digest and artifact, and that the
// registry serves exactly those manifest bytes (annotated with the artifact). Anything else is
// refused: the image is not the one that was built.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IN_TOTO_PAYLOAD_TYPE, type DsseEnvelope } from '../../core/artifact/dsse.js';
import { statementBytes, type Statement } from '../../core/artifact/provenance.js';
import { SlipwayError } from '../../core/errors.js';
import { isLoopbackRegistry, parseImageRef } from '../../core/image/oci.js';
import { imageStatement, imageStatementProblem } from '../../core/image/provenance.js';
import type { EnvelopeVerifier, Signer } from '../../ports/signer.js';
import { ANNOTATION_ARTIFACT, type BuiltImage } from './build.js';
import { fetchManifest } from './registry.js';

interface ImageRecord {
  schema: 'slipway/image@1';
  artifact: string;
  image: string;
  envelope: DsseEnvelope;
}

const recordPath = (home: string, artifact: string): string => join(home, 'images', 'by-artifact', `${artifact.slice('sha256:'.length)}.json`);
/** Every image ever recorded, by its own digest: a release names its image, which a later build of the same artifact does not replace. */
const imageRecordPath = (home: string, image: string): string => join(home, 'images', 'by-image', `${image.slice('sha256:'.length)}.json`);

const writeRecord = (file: string, record: ImageRecord): void => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.partial`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  renameSync(`${file}.partial`, file);
};

/** Signs the provenance of a pushed image and records it as the image of its artifact. */
export function recordImage(home: string, signer: Signer, image: BuiltImage, ref: string, run: { builderId: string; invocationId: string; startedOn: string; finishedOn: string }): ImageRecord {
  const p = parseImageRef(ref);
  if (p === null || p.digest !== image.digest) throw new TypeError(`recordImage: ${ref} is not a reference to ${image.digest}`);
  const statement = imageStatement({ repository: `${p.host}/${p.name}`, image: image.digest, artifact: image.artifact, baseLayer: image.layers[0]?.digest ?? '', ...run });
  const record: ImageRecord = { schema: 'slipway/image@1', artifact: image.artifact, image: ref, envelope: signer.signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(statement)) };
  writeRecord(imageRecordPath(home, image.digest), record);
  writeRecord(recordPath(home, image.artifact), record);
  return record;
}

export interface ImageResolverOptions {
  home: string;
  verifier: EnvelopeVerifier;
  /** Public keys (SPKI PEM) whose signatures are trusted. */
  trustedKeys: readonly string[];
  /** `http` only for a loopback registry; default: `http` for a registry on loopback, else `https`. */
  scheme?: 'http' | 'https';
}

/**
 * The docker runtime's image resolver: the recorded image of an artifact (the newest one built, or
 * `image`, the one a release names) once its provenance and the registry's manifest check out;
 * null when no image was recorded. Throws `refused` otherwise.
 */
export function createImageResolver(o: ImageResolverOptions): { imageOf(artifact: string, image?: string): Promise<string | null> } {
  return {
    async imageOf(artifact, image) {
      const named = image === undefined ? null : parseImageRef(image);
      if (image !== undefined && named === null) throw new SlipwayError('refused', `"${image}" is not an image reference by digest (host/repository@sha256:<hex>)`);
      const file = named === null ? recordPath(o.home, artifact) : imageRecordPath(o.home, named.digest);
      if (!existsSync(file)) return null;
      const refuse = (why: string): SlipwayError =>
        new SlipwayError('refused', `the image recorded for artifact ${artifact} is refused: ${why}`, 'build the commit again (build.image) so that its image is built, pushed and signed again');
      let record: ImageRecord;
      try {
        record = JSON.parse(readFileSync(file, 'utf8')) as ImageRecord;
      } catch (e) {
        throw refuse(`its record ${file} cannot be read (${(e as Error).message})`);
      }
      const p = typeof record.image === 'string' ? parseImageRef(record.image) : null;
      if (p === null) throw refuse(`"${String(record.image)}" is not a reference by digest`);
      if (image !== undefined && record.image !== image) throw refuse(`its record names ${record.image}, not ${image}`);
      const check = o.verifier.verifyEnvelope(record.envelope, o.trustedKeys, IN_TOTO_PAYLOAD_TYPE);
      if (!check.ok) throw refuse(`its provenance does not verify (${check.message})`);
      let statement: Statement;
      try {
        statement = JSON.parse(check.payload.toString('utf8')) as Statement;
      } catch {
        throw refuse('its provenance is not JSON');
      }
      const problem = imageStatementProblem(statement, p.digest, artifact);
      if (problem !== null) throw refuse(`its provenance does not match the image ${record.image}: ${problem}`);
      const manifest = await fetchManifest(record.image, o.scheme ?? (isLoopbackRegistry(p.host) ? 'http' : 'https')).catch((e: unknown) => {
        if (e instanceof SlipwayError && e.code === 'corrupt') throw refuse(e.message);
        throw e;
      });
      const annotated = (JSON.parse(manifest.toString('utf8')) as { annotations?: Record<string, string> }).annotations?.[ANNOTATION_ARTIFACT];
      if (annotated !== artifact) throw refuse(`the manifest of ${record.image} names artifact ${annotated ?? 'none'}`);
      return record.image;
    },
  };
}
