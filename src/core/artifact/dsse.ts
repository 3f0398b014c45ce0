// DSSE (Dead Simple Signing Envelope): the pre-authentication encoding that is signed, and the
// shape check of an envelope read back from disk. The signing itself is an adapter's job.

/** A DSSE envelope as stored beside an artifact (`<hex>.provenance.json`). */
export interface DsseEnvelope {
  /** The payload, standard base64. */
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

export interface DsseSignature {
  /** Hint naming the key that made `sig`; unauthenticated, verifiers must not trust it alone. */
  keyid: string;
  /** The signature over `pae(payloadType, payload bytes)`, standard base64. */
  sig: string;
}

/** The payload type of an in-toto statement inside DSSE. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * Pre-authentication encoding: `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in
 * bytes as ASCII decimal. Signing this rather than the bare payload binds the payload type.
 *
 * @example pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()
 *   === 'DSSEv1 29 http://example.com/HelloWorld 11 hello world'
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes standard or URL-safe base64 strictly (the DSSE spec allows either); null if it is neither. */
export function decodeBase64(s: string): Buffer | null {
  if (BASE64.test(s)) return Buffer.from(s, 'base64');
  if (BASE64URL.test(s) && s.length % 4 !== 1) return Buffer.from(s, 'base64url');
  return null;
}

export type ParsedEnvelope =
  | { ok: true; envelope: DsseEnvelope; payload: Buffer }
  | { ok: false; message: string };

/** Checks that `value` (parsed JSON) is a well-formed DSSE envelope and decodes its payload. */
export function parseEnvelope(value: unknown): ParsedEnvelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'DSSE envelope must be a JSON object' };
  }
  const v = value as Record<string, unknown>;
  if (typeof v.payloadType !== 'string' || v.payloadType === '') {
    return { ok: false, message: 'DSSE envelope: "payloadType" must be a non-empty string' };
  }
  if (typeof v.payload !== 'string') return { ok: false, message: 'DSSE envelope: "payload" must be a base64 string' };
  const payload = decodeBase64(v.payload);
  if (payload === null) return { ok: false, message: 'DSSE envelope: "payload" is not valid base64' };
  if (!Array.isArray(v.signatures) || v.signatures.length === 0) {
    return { ok: false, message: 'DSSE envelope: "signatures" must be a non-empty array' };
  }
  const signatures: DsseSignature[] = [];
  for (const [i, s] of (v.signatures as unknown[]).entries()) {
    if (typeof s !== 'object' || s === null) return { ok: false, message: `DSSE envelope: signatures[${i}] must be an object` };
    const { keyid, sig } = s as Record<string, unknown>;
    if (typeof sig !== 'string' || sig === '' || decodeBase64(sig) === null) {
      return { ok: false, message: `DSSE envelope: signatures[${i}].sig must be non-empty base64` };
    }
    if (keyid !== undefined && typeof keyid !== 'string') {
      return { ok: false, message: `DSSE envelope: signatures[${i}].keyid must be a string` };
    }
    signatures.push({ keyid: keyid ?? '', sig });
  }
  return { ok: true, envelope: { payload: v.payload, payloadType: v.payloadType, signatures }, payload };
}
