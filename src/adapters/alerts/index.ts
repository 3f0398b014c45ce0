// The Alertmanager webhook receiver's logic, for the server's route: parse and validate the
// version-4 payload, authenticate it, and match its alerts to environments and their protection
// windows. No HTTP here; the route reads the raw body and acts on the answers.

export { parseAlertPayload, MAX_ALERT_PAYLOAD_BYTES, type AlertmanagerPayload, type Alert, type PayloadResult } from './payload.js';
export { authenticateAlert, checkAlertHeaders, checkAlertSignature, signAlert, signedContent, ReplayCache, SIGNED_WINDOW_S, TIMESTAMP_HEADER, type AlertAuthConfig, type AuthResult, type PendingSignature } from './auth.js';
export { routeAlerts, matches, type AlertTarget, type AlertMatch, type AlertRouting } from './match.js';
export { SIGNATURE_HEADER, signBody, verifySignature } from '../../core/webhooks/signature.js';
