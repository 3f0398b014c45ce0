// HMAC-SHA256 signatures of webhook bodies, in the `sha256=<hex>` form of GitHub's
// X-Hub-Signature-256: signed by Slipway's outgoing notifications, checked on incoming alerts and webhooks.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The header Slipway signs with and accepts. */
export const SIGNATURE_HEADER = 'X-Slipway-Signature';

/** `sha256=` + the hex HMAC-SHA256 of the raw body under `secret`. */
export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The header that carries the sending time of a signed request (alerts, generic webhooks), in Unix seconds. */
export const TIMESTAMP_HEADER = 'X-Slipway-Timestamp';
/** How far (seconds) a signed request's timestamp may be from the receiver's clock, either way. */
export const SIGNED_WINDOW_S = 300;

/** The bytes a timestamped signature covers: `<timestamp>.<body>`. */
export const signedContent = (timestamp: string, body: string | Uint8Array): Buffer => Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)]);

/**
 * Compares two strings in time independent of where they differ (both are hashed first, so their
 * lengths leak nothing either).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** True when `header` is the signature of `body` under `secret` (the hex case does not matter). */
export function verifySignature(secret: string, body: string | Uint8Array, header: string): boolean {
  const given = header.trim();
  const normalised = given.startsWith('sha256=') ? `sha256=${given.slice(7).toLowerCase()}` : given;
  return constantTimeEqual(signBody(secret, body), normalised);
}
