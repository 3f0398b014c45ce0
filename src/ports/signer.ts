// The signer port: how Slipway signs provenance and checks signatures, whatever holds the key
// (a local Ed25519 file now, perhaps a KMS or sigstore later).

import type { DsseEnvelope } from '../core/artifact/dsse.js';

export type { DsseEnvelope } from '../core/artifact/dsse.js';

/** Signs DSSE envelopes with one key. */
export interface Signer {
  /** Identifies the key: lowercase hex sha256 of its public key (SPKI DER), all 64 characters. */
  readonly keyid: string;
  /** The public key as SPKI PEM, to hand to verifiers. */
  readonly publicKeyPem: string;
  /**
   * Signs `payload` as `payloadType`: the signature covers `PAE(payloadType, payload)`, so a
   * payload cannot be passed off under another type. The envelope carries the payload in base64.
   */
  signEnvelope(payloadType: string, payload: Buffer): DsseEnvelope;
}

export type EnvelopeFailure = 'malformed' | 'wrong-type' | 'no-trusted-key' | 'bad-signature';

export type EnvelopeCheck =
  | { ok: true; keyid: string; payloadType: string; payload: Buffer }
  | { ok: false; reason: EnvelopeFailure; message: string };

/** Checks envelopes against a set of trusted public keys. Never throws on bad input. */
export interface EnvelopeVerifier {
  /**
   * `ok` when one signature verifies under one of `trustedKeys` (SPKI PEM). The keyid in the
   * envelope is only a hint for which key to try first: it is not signed. With `expectedType`,
   * an envelope of any other payload type is refused as `wrong-type`.
   */
  verifyEnvelope(envelope: unknown, trustedKeys: readonly string[], expectedType?: string): EnvelopeCheck;
}
