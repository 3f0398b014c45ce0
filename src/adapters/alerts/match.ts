// Which environment each alert of a webhook belongs to, and whether it fires within that
// environment's protection window after its last deploy (then it rolls the environment back;
// otherwise it is recorded and notified). Pure: the caller gives the deploy times.

import type { AlertsSpec, LabelMatcher } from '../../config/types.js';
import type { Alert, AlertmanagerPayload } from './payload.js';

export interface AlertTarget {
  name: string;
  alerts: AlertsSpec;
  /** ms since the epoch when the environment's current release took traffic; absent if never deployed. */
  deployedAt?: number;
}

export interface AlertMatch {
  env: string;
  /** True when a firing alert started within [deployedAt, deployedAt + protect]: roll back. */
  inWindow: boolean;
  alert: Alert;
  /** One line on why it is in or out of the window. */
  reason: string;
}

export interface AlertRouting {
  matches: AlertMatch[];
  /** Alerts that belong to no environment: recorded only. */
  unmatched: Alert[];
}

const compiled = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    // Anchored like Alertmanager's =~ matchers: the pattern must match the whole value.
    re = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re;
}

/** A missing label reads as the empty string, as in Alertmanager. */
export function matches(labels: Record<string, string>, matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((m) => {
    const value = labels[m.label] ?? '';
    return m.kind === 'equal' ? value === m.value : regex(m.pattern).test(value);
  });
}

/** A duration as people write it: `45s`, `15m`, `1h30m`. */
const minutes = (ms: number): string => {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
};

function windowOf(alert: Alert, target: AlertTarget & { alerts: { enabled: true } }): Pick<AlertMatch, 'inWindow' | 'reason'> {
  if (alert.status !== 'firing') return { inWindow: false, reason: 'resolved' };
  if (target.deployedAt === undefined) return { inWindow: false, reason: 'no deploy to protect' };
  const started = Date.parse(alert.startsAt);
  const after = started - target.deployedAt;
  const protect = target.alerts.protectMs;
  if (after < 0) return { inWindow: false, reason: `started ${minutes(-after)} before the last deploy` };
  if (after > protect) return { inWindow: false, reason: `started ${minutes(after)} after the last deploy, past its ${minutes(protect)} protection window` };
  return { inWindow: true, reason: `started ${Math.round(after / 1000)}s after the last deploy, within its ${minutes(protect)} protection window` };
}

/**
 * Matches every alert of a payload against every environment's matchers.
 * @example
 *   const { matches } = routeAlerts(payload, [{ name: 'production', alerts: env.alerts, deployedAt }]);
 *   for (const m of matches) if (m.inWindow) rollback(m.env, `alert ${m.alert.labels.alertname}: ${m.reason}`);
 */
export function routeAlerts(payload: AlertmanagerPayload, targets: readonly AlertTarget[]): AlertRouting {
  const out: AlertRouting = { matches: [], unmatched: [] };
  for (const alert of payload.alerts) {
    let matched = false;
    for (const t of targets) {
      if (!t.alerts.enabled || !matches(alert.labels, t.alerts.match)) continue;
      matched = true;
      out.matches.push({ env: t.name, alert, ...windowOf(alert, { ...t, alerts: t.alerts }) });
    }
    if (!matched) out.unmatched.push(alert);
  }
  return out;
}
