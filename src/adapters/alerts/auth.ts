// Authenticates an Alertmanager webhook: a bearer token (Alertmanager's own `http_config`
// `authorization`), or an HMAC-SHA256 of the raw body in `X-Slipway-Signature: sha256=<hex>`.
// Every comparison is constant-time. The route answers 401 to any failure and changes nothing.

import { SIGNATURE_HEADER, constantTimeEqual, verifySignature } from '../../core/webhooks/signature.js';

export interface AlertAuthConfig {
  /** Accepted bearer tokens (e.g. the value of the variable named by `alertmanager.token_env`). */
  tokens?: readonly string[];
  /** Accepted HMAC keys (the value of the variable named by `alertmanager.secret_env`). */
  hmacSecrets?: readonly string[];
}

export type AuthResult =
  | { ok: true; method: 'bearer' | 'hmac' }
  | { ok: false; reason: 'unconfigured' | 'missing' | 'invalid'; message: string };

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Checks the credentials of one request against the configured tokens and keys. Either kind
 * suffices; a credential that is present but wrong fails even when the other kind is absent.
 */
export function authenticateAlert(req: { headers: Headers; body: string | Uint8Array }, config: AlertAuthConfig): AuthResult {
  const tokens = (config.tokens ?? []).filter((t) => t.length > 0);
  const secrets = (config.hmacSecrets ?? []).filter((s) => s.length > 0);
  if (tokens.length === 0 && secrets.length === 0) {
    return {
      ok: false,
      reason: 'unconfigured',
      message: 'no credentials are configured for Alertmanager webhooks',
    };
  }
  const authorization = header(req.headers, 'authorization');
  const signature = header(req.headers, SIGNATURE_HEADER);
  let presented = false;
  if (authorization !== undefined && tokens.length > 0) {
    presented = true;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    // Every token is compared, so the time taken does not say which one came close.
    const matches = m ? tokens.map((t) => constantTimeEqual(t, m[1] ?? '')).some(Boolean) : false;
    if (matches) return { ok: true, method: 'bearer' };
  }
  if (signature !== undefined && secrets.length > 0) {
    presented = true;
    if (secrets.map((s) => verifySignature(s, req.body, signature)).some(Boolean)) return { ok: true, method: 'hmac' };
  }
  if (!presented) {
    const wanted = [tokens.length > 0 ? 'an Authorization: Bearer token' : '', secrets.length > 0 ? `an ${SIGNATURE_HEADER} header` : '']
      .filter(Boolean)
      .join(' or ');
    return { ok: false, reason: 'missing', message: `no credentials: expected ${wanted}` };
  }
  return { ok: false, reason: 'invalid', message: 'the credentials do not match' };
}
