// The build-once machinery the engine calls: pack a build's output deterministically, store it by
// digest, sign its provenance, and later verify, inspect or unpack it.

import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import type { Digest } from '../../core/artifact/digest.js';
import { IN_TOTO_PAYLOAD_TYPE, parseEnvelope, type DsseEnvelope } from '../../core/artifact/dsse.js';
import { MANIFEST_SCHEMA, type ArtifactManifest } from '../../core/artifact/manifest.js';
import { buildStatement, parseStatement, runtimeOf, statementBytes, type BuildRuntime, type Statement, type StatementInput } from '../../core/artifact/provenance.js';
import { SlipwayError } from '../../core/errors.js';
import type { ArtifactStore, StoreVerdict } from '../../ports/artifacts.js';
import type { EnvelopeVerifier, Signer } from '../../ports/signer.js';
import { packDeterministic } from '../archive/pack.js';
import { unpackSafe, type UnpackOptions, type UnpackResult } from '../archive/unpack.js';
import { ed25519Verifier, loadOrCreateSigner } from '../signing/ed25519.js';
import { createFsArtifactStore } from './fs-store.js';

export interface ArtifactServiceOptions {
  /** Slipway's home: artifacts in `<home>/artifacts/`, the signing key in `<home>/keys/`. */
  home: string;
  /** Public keys (SPKI PEM) trusted besides the local key, e.g. the previous key after a rotation. */
  trustedKeys?: readonly string[];
  /** Overrides for tests: another signer or verifier. */
  signer?: Signer;
  verifier?: EnvelopeVerifier;
}

export interface StoreBuildInput {
  /** The directory the build ran in (a clean checkout). */
  workdir: string;
  /** Files or directories relative to `workdir` that make up the artifact. */
  paths: readonly string[];
  /** Everything the provenance says except the digest, which the pack decides. */
  statementInput: Omit<StatementInput, 'digest'>;
  /** The mtime written into every archive entry (seconds); default 0. */
  mtime?: number;
  /** Entries below a listed directory to leave out (the lean rule, core/artifact/lean.ts). */
  leaveOut?: (path: string, type: 'file' | 'dir' | 'symlink') => boolean;
}

export interface StoreBuildResult {
  digest: Digest;
  /** The same bytes were already stored: this build reproduced an earlier one. */
  existed: boolean;
  manifest: ArtifactManifest;
  /** The envelope signed for this build. */
  envelope: DsseEnvelope;
  /** False when an earlier build's valid provenance was kept (the first build is the record). */
  provenanceWritten: boolean;
}

export type ArtifactVerdict = StoreVerdict;

export interface ArtifactInspection {
  digest: Digest;
  size: number;
  files: number;
  entryCount: number;
  manifest: ArtifactManifest;
  /** Null when no provenance is stored. Decoded without re-hashing the blob (see `verifyArtifact`). */
  provenance: {
    /** Whether a signature verifies under a trusted key and the subject is this artifact. */
    valid: boolean;
    problem?: string;
    keyids: string[];
    statement: Statement | null;
  } | null;
}

export interface ArtifactService {
  readonly store: ArtifactStore;
  /** The local signing key's id. */
  readonly keyid: string;
  /** Packs, stores and signs one build. See `StoreBuildResult`. */
  storeBuild(input: StoreBuildInput): Promise<StoreBuildResult>;
  /** Bytes match the digest, the provenance signature verifies, and its subject is this digest. */
  verifyArtifact(ref: string): Promise<ArtifactVerdict>;
  inspect(ref: string): Promise<ArtifactInspection>;
  /**
   * The manifest of a stored artifact whose provenance verifies under a trusted key and names this
   * very manifest (its sha256 is a signed byproduct). Throws `SlipwayError('refused' | 'corrupt')`.
   */
  signedManifest(ref: string): Promise<ArtifactManifest>;
  /**
   * Verifies the artifact, then unpacks it safely into `destDir` (must be new or empty). Throws
   * `SlipwayError('corrupt' | 'refused' | 'not_found')` when verification fails.
   */
  unpack(ref: string, destDir: string, options?: UnpackOptions): Promise<UnpackResult & { digest: Digest }>;
}

/** Whether a stored statement records the same runtime as this build (both none counts as same). */
const sameRuntime = (statement: Statement, runtime: BuildRuntime | undefined): boolean => {
  const r = runtimeOf(statement);
  return runtime === undefined ? r === null : r !== null && r.node === runtime.node && r.platform === runtime.platform && r.arch === runtime.arch;
};

/**
 * Opens the artifact machinery under `home`, creating the signing key on first use.
 *
 * @example
 * const artifacts = await createArtifactService({ home: '.slipway' });
 * const { digest } = await artifacts.storeBuild({ workdir, paths: ['dist'], statementInput });
 */
export async function createArtifactService(options: ArtifactServiceOptions): Promise<ArtifactService> {
  const signer = options.signer ?? (await loadOrCreateSigner(options.home));
  const verifier = options.verifier ?? ed25519Verifier;
  const trusted = [signer.publicKeyPem, ...(options.trustedKeys ?? [])];

  /** Signature under a trusted key, a well-formed statement, and this digest among its subjects. */
  const checkProvenance = (envelope: unknown, digest: Digest): { ok: true; keyid: string; statement: Statement } | { ok: false; message: string } => {
    const v = verifier.verifyEnvelope(envelope, trusted, IN_TOTO_PAYLOAD_TYPE);
    if (!v.ok) return { ok: false, message: v.message };
    let json: unknown;
    try {
      json = JSON.parse(v.payload.toString('utf8'));
    } catch {
      return { ok: false, message: 'the signed payload is not JSON' };
    }
    const s = parseStatement(json);
    if (!s.ok) return { ok: false, message: s.message };
    const hex = digest.slice('sha256:'.length);
    if (!s.statement.subject.some((x) => x.digest.sha256 === hex)) {
      return { ok: false, message: `it is signed for another artifact (${s.statement.subject.map((x) => `sha256:${x.digest.sha256.slice(0, 12)}`).join(', ')})` };
    }
    return { ok: true, keyid: v.keyid, statement: s.statement };
  };

  const store = createFsArtifactStore({ home: options.home, checkProvenance });

  return {
    store,
    keyid: signer.keyid,

    async storeBuild(input) {
      const mtime = input.mtime ?? 0;
      const temp = await store.tempPath();
      const manifest = await packDeterministic(input.workdir, input.paths, temp, { mtime, ...(input.leaveOut ? { leaveOut: input.leaveOut } : {}) });
      const { digest, existed } = await store.put(temp, manifest);
      const manifestSha = createHash('sha256').update(canonicalJson({ schema: MANIFEST_SCHEMA, ...manifest })).digest('hex');
      const statement = buildStatement({
        ...input.statementInput,
        digest,
        internalParameters: { archive: { format: 'tar', mtime }, ...input.statementInput.internalParameters },
        byproducts: [{ name: 'manifest.json', digest: { sha256: manifestSha } }, ...(input.statementInput.byproducts ?? [])],
      });
      const envelope = signer.signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(statement));
      // Keep an earlier build's provenance if it still verifies: the first build is the record;
      // unless it names another runtime, which would keep build reuse refusing these very bytes.
      const stored = existed ? await store.readProvenance(digest).catch(() => null) : null;
      const earlier = stored === null ? null : checkProvenance(stored, digest);
      const keep = earlier?.ok === true && sameRuntime(earlier.statement, input.statementInput.runtime);
      const { written } = keep ? { written: false } : await store.putProvenance(digest, envelope, { replace: true });
      return { digest, existed, manifest, envelope, provenanceWritten: written };
    },

    verifyArtifact: (ref) => store.verify(ref),

    async inspect(ref) {
      const digest = await store.resolve(ref);
      const manifest = await store.readManifest(digest);
      const base = { digest, size: manifest.size, files: manifest.files, entryCount: manifest.entries.length, manifest };
      const envelope = await store.readProvenance(digest).catch((e: unknown) => e);
      if (envelope === null) return { ...base, provenance: null };
      if (envelope instanceof Error) return { ...base, provenance: { valid: false, problem: envelope.message, keyids: [], statement: null } };
      const parsed = parseEnvelope(envelope);
      const keyids = parsed.ok ? parsed.envelope.signatures.map((s) => s.keyid) : [];
      let statement: Statement | null = null;
      if (parsed.ok) {
        try {
          const s = parseStatement(JSON.parse(parsed.payload.toString('utf8')));
          statement = s.ok ? s.statement : null;
        } catch {
          statement = null;
        }
      }
      const check = checkProvenance(envelope, digest);
      return { ...base, provenance: check.ok ? { valid: true, keyids, statement } : { valid: false, problem: check.message, keyids, statement } };
    },

    async signedManifest(ref) {
      const digest = await store.resolve(ref);
      const manifest = await store.readManifest(digest);
      const envelope = await store.readProvenance(digest);
      if (envelope === null) throw new SlipwayError('refused', `artifact ${digest} has no signed provenance`);
      const check = checkProvenance(envelope, digest);
      if (!check.ok) throw new SlipwayError('refused', `the provenance of ${digest} does not verify: ${check.message}`);
      const sha = createHash('sha256').update(canonicalJson({ schema: MANIFEST_SCHEMA, ...manifest })).digest('hex');
      const signed = check.statement.predicate.runDetails.byproducts.find((b) => b.name === 'manifest.json')?.digest.sha256;
      if (signed !== sha) throw new SlipwayError('corrupt', `the manifest of ${digest} is not the one its provenance signs`, 'rebuild the artifact to write and sign it again');
      return manifest;
    },

    async unpack(ref, destDir, unpackOptions) {
      const verdict = await store.verify(ref);
      if (!verdict.ok) {
        const code = verdict.reason === 'missing' ? 'not_found' : verdict.reason === 'corrupt' ? 'corrupt' : 'refused';
        throw new SlipwayError(code, verdict.message, verdict.reason === 'corrupt' ? 'rebuild the artifact or restore it from a backup' : undefined);
      }
      const result = await unpackSafe(await store.path(verdict.digest), destDir, unpackOptions);
      return { ...result, digest: verdict.digest };
    },
  };
}
