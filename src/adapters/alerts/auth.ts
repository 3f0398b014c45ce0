// Authenticates an Alertmanager webhook: a bearer token (Alertmanager's own `http_config`
// `authorization`), or an HMAC-SHA256 signature in `X-Slipway-Signature: sha256=<hex>` over
// `<timestamp>.<raw body>`, where `X-Slipway-Timestamp` is the sending time in Unix seconds. A
// signature is accepted within SIGNED_WINDOW_S of the receiver's clock and only once: a captured
// request replayed later, or again, is refused. Every comparison is constant-time. The route
// answers 401 to any failure and changes nothing.

import { SIGNATURE_HEADER, SIGNED_WINDOW_S, TIMESTAMP_HEADER, constantTimeEqual, signBody, signedContent, verifySignature } from '../../core/webhooks/signature.js';

export { SIGNED_WINDOW_S, TIMESTAMP_HEADER, signedContent };

export interface AlertAuthConfig {
  /** Accepted bearer tokens (e.g. the value of the variable named by `alertmanager.token_env`). */
  tokens?: readonly string[];
  /** Accepted HMAC keys (the value of the variable named by `alertmanager.secret_env`). */
  hmacSecrets?: readonly string[];
}

export type AuthFailure = { ok: false; reason: 'unconfigured' | 'missing' | 'invalid' | 'stale' | 'replayed'; message: string };
export type AuthResult = { ok: true; method: 'bearer' | 'hmac' } | AuthFailure;
/** A signed request whose headers are in order: its signature is checked once the body is read. */
export interface PendingSignature {
  ok: 'needs_body';
  signature: string;
  timestamp: string;
}

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** The two headers of a signed alert (what a relay in front of Slipway sends). */
export const signAlert = (secret: string, body: string | Uint8Array, timestamp: number): Record<string, string> => ({
  [TIMESTAMP_HEADER.toLowerCase()]: String(timestamp),
  [SIGNATURE_HEADER.toLowerCase()]: signBody(secret, signedContent(String(timestamp), body)),
});

/**
 * Signatures seen within the window, so each is accepted once. Kept in memory: after a restart
 * the window alone bounds a replay. Entries expire with the window, so it holds at most what
 * arrived in the last 2 × SIGNED_WINDOW_S seconds.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  /** True the first time a signature is offered (and remembers it until `expiresAt`, ms). */
  claim(signature: string, now: number): boolean {
    for (const [sig, until] of this.seen) if (until < now) this.seen.delete(sig);
    const key = signature.trim().toLowerCase();
    if (this.seen.has(key)) return false;
    this.seen.set(key, now + 2 * SIGNED_WINDOW_S * 1000);
    return true;
  }
}

const configured = (config: AlertAuthConfig) => ({
  tokens: (config.tokens ?? []).filter((t) => t.length > 0),
  secrets: (config.hmacSecrets ?? []).filter((s) => s.length > 0),
});

/**
 * First step, on the headers alone (before the body is read): a bearer token is decided here; a
 * signature with a timestamp inside the window is handed to `checkAlertSignature` with the body.
 * Either kind suffices; a credential that is present but wrong fails even when the other kind is
 * absent.
 */
export function checkAlertHeaders(headers: Headers, config: AlertAuthConfig, now: number): AuthResult | PendingSignature {
  const { tokens, secrets } = configured(config);
  if (tokens.length === 0 && secrets.length === 0) {
    return { ok: false, reason: 'unconfigured', message: 'no credentials are configured for Alertmanager webhooks' };
  }
  const authorization = header(headers, 'authorization');
  const signature = header(headers, SIGNATURE_HEADER);
  let presented = false;
  if (authorization !== undefined && tokens.length > 0) {
    presented = true;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    // Every token is compared, so the time taken does not say which one came close.
    const matches = m ? tokens.map((t) => constantTimeEqual(t, m[1] ?? '')).some(Boolean) : false;
    if (matches) return { ok: true, method: 'bearer' };
  }
  if (signature !== undefined && secrets.length > 0) {
    const timestamp = header(headers, TIMESTAMP_HEADER)?.trim() ?? '';
    if (!/^\d{1,12}$/.test(timestamp)) {
      return { ok: false, reason: 'missing', message: `a signed alert needs ${TIMESTAMP_HEADER}: the sending time in Unix seconds, covered by the signature` };
    }
    if (Math.abs(Number(timestamp) * 1000 - now) > SIGNED_WINDOW_S * 1000) {
      return { ok: false, reason: 'stale', message: `${TIMESTAMP_HEADER} is more than ${SIGNED_WINDOW_S} s away from this server's clock: a replayed alert, or a clock to set right` };
    }
    return { ok: 'needs_body', signature, timestamp };
  }
  if (!presented) {
    const wanted = [tokens.length > 0 ? 'an Authorization: Bearer token' : '', secrets.length > 0 ? `an ${SIGNATURE_HEADER} header with ${TIMESTAMP_HEADER}` : '']
      .filter(Boolean)
      .join(' or ');
    return { ok: false, reason: 'missing', message: `no credentials: expected ${wanted}` };
  }
  return { ok: false, reason: 'invalid', message: 'the credentials do not match' };
}

/** Second step of a signed alert: the signature over `<timestamp>.<body>`, accepted once. */
export function checkAlertSignature(pending: PendingSignature, body: string | Uint8Array, config: AlertAuthConfig, replay: ReplayCache, now: number): AuthResult {
  const content = signedContent(pending.timestamp, body);
  const { secrets } = configured(config);
  if (!secrets.map((s) => verifySignature(s, content, pending.signature)).some(Boolean)) return { ok: false, reason: 'invalid', message: 'the credentials do not match' };
  if (!replay.claim(pending.signature, now)) return { ok: false, reason: 'replayed', message: 'this signed alert was received already: a replay is refused' };
  return { ok: true, method: 'hmac' };
}

/** Both steps at once, for a caller that has the body in hand. */
export function authenticateAlert(req: { headers: Headers; body: string | Uint8Array }, config: AlertAuthConfig, opts: { now: number; replay: ReplayCache }): AuthResult {
  const first = checkAlertHeaders(req.headers, config, opts.now);
  if (first.ok !== 'needs_body') return first;
  return checkAlertSignature(first, req.body, config, opts.replay, opts.now);
}
