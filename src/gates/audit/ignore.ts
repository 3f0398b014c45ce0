// Ignore entries of the dependency audit: an advisory id (or alias, such as a CVE) that a
// person decided does not apply, with the reason and an expiry date after which it is revisited.

import type { AuditIgnore } from '../../config/types.js';

export type { AuditIgnore };

export interface ActiveIgnores {
  active: AuditIgnore[];
  expired: AuditIgnore[];
}

/** Date.parse, treating a bare date as the end of that day in UTC (an ignore lasts through it). */
function expiryTime(expires: string): number {
  const t = Date.parse(expires);
  return /^\d{4}-\d{2}-\d{2}$/.test(expires.trim()) ? t + 86_400_000 : t;
}

/** Checks ignore entries; returns them split by expiry at `now`, or every problem found. */
export function checkIgnores(entries: readonly unknown[], now: Date): { ok: true; ignores: ActiveIgnores } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const active: AuditIgnore[] = [];
  const expired: AuditIgnore[] = [];
  entries.forEach((raw, i) => {
    const at = `ignore[${i}]`;
    if (typeof raw !== 'object' || raw === null) {
      errors.push(`${at} must be an object { id, reason, expires }`);
      return;
    }
    const e = raw as Record<string, unknown>;
    const id = typeof e.id === 'string' ? e.id.trim() : '';
    const name = id === '' ? at : `${at} (${id})`;
    const before = errors.length;
    if (id === '') errors.push(`${at} has no id: give the advisory id (GHSA-…) or an alias (CVE-…)`);
    if (typeof e.reason !== 'string' || e.reason.trim() === '') errors.push(`${name} has no reason: say why the advisory does not apply`);
    if (typeof e.expires !== 'string' || Number.isNaN(Date.parse(e.expires))) {
      errors.push(`${name} needs "expires", a date such as 2026-12-31, so that the ignore is revisited`);
    }
    if (errors.length > before) return;
    const entry: AuditIgnore = { id, reason: (e.reason as string).trim(), expires: e.expires as string };
    (expiryTime(entry.expires) <= now.getTime() ? expired : active).push(entry);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, ignores: { active, expired } };
}
