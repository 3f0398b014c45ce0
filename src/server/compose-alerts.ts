// Composition of the Alertmanager receiver: the adapter that authenticates, reads and routes
// Alertmanager's webhook payloads (adapters/alerts), as the route in routes-alerts.ts uses it.
export { checkAlertHeaders, checkAlertSignature, parseAlertPayload, ReplayCache, routeAlerts, type AlertAuthConfig } from '../adapters/alerts/index.js';
