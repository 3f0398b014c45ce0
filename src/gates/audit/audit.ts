// The dependency audit: every package of the lockfile against the offline OSV database, keeping
// the advisories at or above the severity threshold that no current ignore entry covers. Pure.

import type { OsvDatabase } from './database.js';
import { checkIgnores, type AuditIgnore } from './ignore.js';
import type { LockedPackage, Lockfile } from './lockfile-types.js';
import { evaluateRecord } from './match.js';
import { SEVERITY_RANK, severityOf, type AdvisorySeverity, type Severity } from './severity.js';

export interface AuditFinding {
  package: string;
  version: string;
  /** Advisory id (GHSA-…). */
  id: string;
  aliases: string[];
  severity: AdvisorySeverity;
  /** CVSS v3 base score computed from the advisory's vector, when it has one. */
  score?: number;
  summary: string;
  /** Lowest fixed version above the installed one, if the advisory names one. */
  fixedIn?: string;
  /** First place the package is installed; `paths` lists them all. */
  path: string;
  paths: string[];
}

export interface IgnoredFinding {
  finding: AuditFinding;
  ignore: AuditIgnore;
}

export interface AuditOptions {
  /** Lowest severity that fails the gate (default 'low': everything). */
  severity?: Severity;
  ignore?: readonly AuditIgnore[];
  now?: Date;
}

export type AuditResult =
  | {
      ok: true;
      /** Findings that fail the gate: at or above the threshold, not ignored. */
      findings: AuditFinding[];
      /** Findings an active ignore entry covers. */
      ignored: IgnoredFinding[];
      /** Findings under the severity threshold: reported, not failing. */
      belowThreshold: AuditFinding[];
      /** Ignore entries past their expiry: they no longer apply. */
      expiredIgnores: AuditIgnore[];
      /** Ignore entries that matched nothing. */
      unusedIgnores: AuditIgnore[];
      /** Parts of the database that could not be evaluated, packages without a usable version. */
      warnings: string[];
      packagesChecked: number;
    }
  | { ok: false; errors: string[] };

const bySeverity = (a: AuditFinding, b: AuditFinding): number =>
  SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.package.localeCompare(b.package) || a.id.localeCompare(b.id);

/**
 * Audits a lockfile (or a list of packages) against an OSV database.
 * Unknown severities (no label, no CVSS v3 vector) always fail: an advisory cannot be waved
 * through for lack of a score.
 *
 * @example
 *   const r = auditLockfile(lock, db, { severity: 'high', ignore, now: new Date() });
 *   if (r.ok && r.findings.length > 0) fail(r.findings);
 */
export function auditLockfile(lock: Lockfile | readonly LockedPackage[], db: OsvDatabase, opts: AuditOptions = {}): AuditResult {
  const now = opts.now ?? new Date();
  const checked = checkIgnores(opts.ignore ?? [], now);
  if (!checked.ok) return { ok: false, errors: checked.errors };
  const { active, expired } = checked.ignores;
  const threshold = SEVERITY_RANK[opts.severity ?? 'low'];
  const packages = Array.isArray(lock) ? (lock as readonly LockedPackage[]) : (lock as Lockfile).packages;
  const warnings = new Set<string>();
  const found = new Map<string, AuditFinding>();
  for (const pkg of packages) {
    for (const record of db.byPackage.get(pkg.name) ?? []) {
      const ev = evaluateRecord(record, pkg.name, pkg.version);
      ev.problems.forEach((p) => warnings.add(p));
      if (!ev.affected) continue;
      const key = `${record.id}\0${pkg.name}\0${pkg.version}`;
      const existing = found.get(key);
      if (existing) {
        existing.paths.push(pkg.path);
        continue;
      }
      const entry = record.affected?.find((a) => a.package?.ecosystem === 'npm' && a.package.name === pkg.name);
      const sev = severityOf(record, entry);
      sev.problems.forEach((p) => warnings.add(p));
      found.set(key, {
        package: pkg.name,
        version: pkg.version,
        id: record.id,
        aliases: record.aliases ?? [],
        severity: sev.severity,
        ...(sev.score !== undefined ? { score: sev.score } : {}),
        summary: record.summary ?? '',
        ...(ev.fixedIn !== undefined ? { fixedIn: ev.fixedIn } : {}),
        path: pkg.path,
        paths: [pkg.path],
      });
    }
  }
  const findings: AuditFinding[] = [];
  const ignored: IgnoredFinding[] = [];
  const belowThreshold: AuditFinding[] = [];
  const used = new Set<AuditIgnore>();
  for (const f of found.values()) {
    const ig = active.find((i) => i.id === f.id || f.aliases.includes(i.id));
    if (ig !== undefined) {
      used.add(ig);
      ignored.push({ finding: f, ignore: ig });
    } else if (SEVERITY_RANK[f.severity] >= threshold) findings.push(f);
    else belowThreshold.push(f);
  }
  for (const e of expired) warnings.add(`ignore for ${e.id} expired on ${e.expires}: it no longer applies (reason was: ${e.reason})`);
  return {
    ok: true,
    findings: findings.sort(bySeverity),
    ignored,
    belowThreshold: belowThreshold.sort(bySeverity),
    expiredIgnores: expired,
    unusedIgnores: active.filter((i) => !used.has(i)),
    warnings: [...warnings],
    packagesChecked: packages.length,
  };
}

/** One log line per finding, e.g. "high  lodash@4.17.15  GHSA-p6mc-m468-83gw (CVE-2020-8203)  fixed in 4.17.19  …". */
export function formatAuditFinding(f: AuditFinding): string {
  const alias = f.aliases.length > 0 ? ` (${f.aliases.join(', ')})` : '';
  const fix = f.fixedIn !== undefined ? `fixed in ${f.fixedIn}` : 'no fix available';
  const score = f.score !== undefined ? ` ${f.score.toFixed(1)}` : '';
  return `${f.severity}${score}  ${f.package}@${f.version}  ${f.id}${alias}  ${fix}  ${f.summary}  [${f.path}]`;
}
