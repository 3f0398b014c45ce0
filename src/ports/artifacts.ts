// The artifact store port: where built artifacts live, named by the sha256 of their bytes, with
// their manifest and signed provenance beside them.
//
// Contract:
// - Content-addressed and immutable: an artifact's name is `sha256:<hex>` of its bytes; stored
//   blobs are never rewritten except to replace a copy whose bytes no longer match its name.
// - `put` consumes a finished temp file (from `tempPath()`), checks its digest itself, and is
//   idempotent: putting content that is already stored intact changes nothing (`existed: true`).
// - Crash-safe: every file appears whole or not at all (temp file + fsync + rename in the same
//   directory). The manifest is written before the blob, so a stored blob always has one.
// - References: every method taking `ref` accepts `sha256:<hex>`, bare hex, or a unique prefix of
//   at least 7 hex characters. A malformed or ambiguous ref throws `SlipwayError('usage')`; an
//   unknown one throws `SlipwayError('not_found')` (except `has`, which says false, and `verify`,
//   which says `missing`).
//
// Layout of the file-system adapter (adapters/artifacts/fs-store.ts):
//   <home>/artifacts/sha256/<hex>                   the archive (uncompressed tar), mode 0444
//   <home>/artifacts/sha256/<hex>.manifest.json     its manifest, canonical JSON, mode 0444
//   <home>/artifacts/sha256/<hex>.provenance.json   DSSE envelope of the SLSA statement, mode 0444
//   <home>/artifacts/sha256/.tmp-*                  writes in flight (swept when stale)

import type { Digest } from '../core/artifact/digest.js';
import type { DsseEnvelope } from '../core/artifact/dsse.js';
import type { ArtifactManifest } from '../core/artifact/manifest.js';

export interface StoredArtifact {
  digest: Digest;
  /** Bytes of the archive. */
  size: number;
  /** When the blob was stored (ISO 8601). */
  storedAt: string;
}

export type StoreVerdict =
  | { ok: true; digest: Digest; /** Key that signed the provenance, when a checker was given. */ keyid?: string }
  | { ok: false; reason: 'missing' | 'corrupt' | 'bad-signature' | 'no-provenance'; message: string; digest?: Digest };

/**
 * Judges a stored provenance envelope for an artifact (signature, subject). Supplied by whoever
 * holds the trusted keys; a failure makes `verify` answer `bad-signature` with its message.
 */
export type ProvenanceCheck = (envelope: unknown, digest: Digest) => { ok: true; keyid?: string } | { ok: false; message: string };

export interface ArtifactStore {
  /** A fresh path in the store's own directory, to pack into before `put`. */
  tempPath(): Promise<string>;
  /**
   * Moves `tempFile` into the store under the sha256 of its bytes, with `manifest` beside it.
   * Throws `SlipwayError('corrupt')` if `manifest.digest` is not the file's digest.
   */
  put(tempFile: string, manifest: ArtifactManifest): Promise<{ digest: Digest; existed: boolean }>;
  /** Stores the provenance envelope; keeps an existing one unless `replace` (`written` says which). */
  putProvenance(ref: string, envelope: DsseEnvelope, options?: { replace?: boolean }): Promise<{ written: boolean }>;
  /** The full digest a reference names. */
  resolve(ref: string): Promise<Digest>;
  has(ref: string): Promise<boolean>;
  /** Absolute path of the stored archive (read-only: do not write to it). */
  path(ref: string): Promise<string>;
  /** Every stored artifact, newest first. */
  list(): Promise<StoredArtifact[]>;
  readManifest(ref: string): Promise<ArtifactManifest>;
  /** The stored envelope as parsed JSON (unchecked), or null if there is none. */
  readProvenance(ref: string): Promise<unknown>;
  /**
   * Full check: re-hashes the blob (one changed byte → `corrupt`), checks the manifest, and that a
   * provenance envelope exists and passes the store's `ProvenanceCheck` if it has one.
   */
  verify(ref: string): Promise<StoreVerdict>;
  /** Removes temp files older than `maxAgeMs` left by killed builds; returns how many. */
  sweepTemp(maxAgeMs: number): Promise<number>;
}
