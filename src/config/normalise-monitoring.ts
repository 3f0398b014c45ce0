// Normalises the monitoring keys (schema-monitoring.ts) into types.ts shapes: label matchers as a
// tagged union, durations in ms, defaults filled in. Pure; the input has passed the schema.

import { DEFAULTS } from './defaults.js';
import { NOTIFICATION_EVENTS, REGEX_VALUE } from './schema-monitoring.js';
import type { FriendlyConfig, FriendlyEnvironment } from './schema.js';
import type { AlertmanagerSpec, AlertsSpec, LabelMatcher, NotificationSpec, PrometheusSpec } from './types.js';
import { parseDuration } from './values.js';

const ms = (v: string | number): number => {
  const r = parseDuration(v);
  if (!r.ok) throw new Error(`normalise: value passed the schema but does not parse: ${r.message}`);
  return r.value;
};

/** An environment's alerts; by default those labelled `env: <name>`, protected for DEFAULTS.alerts.protect. */
export function normaliseAlerts(envName: string, alerts: FriendlyEnvironment['alerts']): AlertsSpec {
  if (alerts === false) return { enabled: false };
  const match: LabelMatcher[] = Object.entries(alerts?.match ?? { env: envName }).map(([label, value]) => {
    const regex = REGEX_VALUE.exec(value);
    return regex ? { label, kind: 'regex', pattern: regex[1] ?? '' } : { label, kind: 'equal', value };
  });
  return { enabled: true, match, protectMs: ms(alerts?.protect ?? DEFAULTS.alerts.protect) };
}

export function normaliseNotifications(list: FriendlyConfig['notifications']): NotificationSpec[] {
  return (list ?? []).map((n) => ({
    url: n.url,
    events: [...new Set(n.events ?? NOTIFICATION_EVENTS)],
    ...(n.secret_env === undefined ? {} : { secretEnv: n.secret_env }),
  }));
}

export function normalisePrometheus(p: FriendlyConfig['prometheus']): PrometheusSpec {
  return { url: p?.url ?? DEFAULTS.prometheus.url, timeoutMs: ms(p?.timeout ?? DEFAULTS.prometheus.timeout) };
}

export function normaliseAlertmanager(a: FriendlyConfig['alertmanager']): AlertmanagerSpec {
  return {
    ...(a?.token_env === undefined ? {} : { tokenEnv: a.token_env }),
    ...(a?.secret_env === undefined ? {} : { secretEnv: a.secret_env }),
  };
}
