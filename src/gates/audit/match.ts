// Does an OSV record affect package@version? Implements the evaluation of the OSV schema
// exactly: ecosystem "npm" only; SEMVER and ECOSYSTEM ranges walked event by event in version
// order (introduced / fixed / last_affected, with limit events bounding the range); the explicit
// `versions` list; and withdrawn records match nothing.

import type semver from 'semver';
import type { OsvAffected, OsvEvent, OsvRange, OsvRecord } from './osv.js';
import { compareVersions, parseVersion } from './version.js';

export interface RecordEvaluation {
  affected: boolean;
  /** Smallest `fixed` version above the installed one, from the ranges that matched. */
  fixedIn?: string;
  /** Parts of the record that could not be evaluated (reported as warnings). */
  problems: string[];
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';
const KINDS: Kind[] = ['introduced', 'fixed', 'last_affected', 'limit'];
/** At equal versions, an introduction comes first so that `fixed` at the same version closes it. */
const ORDER: Record<Kind, number> = { introduced: 0, fixed: 1, last_affected: 2, limit: 3 };

interface Parsed {
  kind: Kind;
  raw: string;
  /** undefined for the special "0" (before everything) and "*" (after everything). */
  v?: semver.SemVer;
  zero?: boolean;
  infinity?: boolean;
}

function parseEvent(e: OsvEvent): Parsed | string {
  const kinds = KINDS.filter((k) => e[k] !== undefined);
  if (kinds.length !== 1) return `an event must have exactly one of ${KINDS.join(', ')}`;
  const kind = kinds[0] as Kind;
  const raw = e[kind] as unknown;
  if (typeof raw !== 'string') return `${kind} is not a string`;
  if (kind === 'introduced' && raw === '0') return { kind, raw, zero: true };
  if (kind === 'limit' && raw.includes('*')) return { kind, raw, infinity: true };
  const v = parseVersion(raw);
  return v === undefined ? `${kind} "${raw}" is not a version` : { kind, raw, v };
}

function cmp(a: Parsed, b: Parsed): number {
  if (a.zero === true || b.zero === true) return a.zero === b.zero ? 0 : a.zero === true ? -1 : 1;
  if (a.infinity === true || b.infinity === true) return a.infinity === b.infinity ? 0 : a.infinity === true ? 1 : -1;
  return compareVersions(a.v as semver.SemVer, b.v as semver.SemVer) || ORDER[a.kind] - ORDER[b.kind];
}

/** One range: affected or not, the fix above v if any, or a problem. */
function evaluateRange(range: OsvRange, v: semver.SemVer): { affected: boolean; fixed: semver.SemVer[] } | string {
  const parsed: Parsed[] = [];
  for (const e of range.events) {
    const p = parseEvent(e);
    if (typeof p === 'string') return p;
    parsed.push(p);
  }
  if (!parsed.some((p) => p.kind === 'introduced')) return 'a range without an "introduced" event';
  const limits = parsed.filter((p) => p.kind === 'limit');
  // BeforeLimits: with limit events, only versions below one of them are in the range.
  if (limits.length > 0 && !limits.some((l) => l.infinity === true || compareVersions(v, l.v as semver.SemVer) < 0)) {
    return { affected: false, fixed: [] };
  }
  let vulnerable = false;
  for (const e of parsed.filter((p) => p.kind !== 'limit').sort(cmp)) {
    if (e.kind === 'introduced') {
      if (e.zero === true || compareVersions(v, e.v as semver.SemVer) >= 0) vulnerable = true;
    } else if (e.kind === 'fixed') {
      if (compareVersions(v, e.v as semver.SemVer) >= 0) vulnerable = false;
    } else if (compareVersions(v, e.v as semver.SemVer) > 0) {
      vulnerable = false; // last_affected
    }
  }
  const fixed = parsed.filter((p) => p.kind === 'fixed' && compareVersions(p.v as semver.SemVer, v) > 0).map((p) => p.v as semver.SemVer);
  return { affected: vulnerable, fixed };
}

function isNpmEntryFor(a: OsvAffected, name: string): boolean {
  return a.package?.ecosystem === 'npm' && a.package.name === name;
}

/** Evaluates a record for one installed package; see RecordEvaluation. */
export function evaluateRecord(record: OsvRecord, name: string, version: string): RecordEvaluation {
  const problems: string[] = [];
  if (record.withdrawn !== undefined) return { affected: false, problems };
  const v = parseVersion(version);
  let affected = false;
  const fixes: semver.SemVer[] = [];
  for (const [i, a] of (record.affected ?? []).entries()) {
    if (!isNpmEntryFor(a, name)) continue;
    // IncludedInVersions: an exact listed version.
    if ((a.versions ?? []).some((listed) => listed === version || (v !== undefined && parseVersion(listed)?.compare(v) === 0))) affected = true;
    if (v === undefined) {
      if ((a.ranges ?? []).length > 0) problems.push(`${record.id}: ${name}@${version} is not a semver version; only explicit version lists were checked`);
      continue;
    }
    for (const [j, range] of (a.ranges ?? []).entries()) {
      if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue; // GIT ranges need the repository
      const r = evaluateRange(range, v);
      if (typeof r === 'string') {
        problems.push(`${record.id}: affected[${i}].ranges[${j}] skipped: ${r}`);
        continue;
      }
      if (r.affected) {
        affected = true;
        fixes.push(...r.fixed);
      }
    }
  }
  const fixedIn = affected && fixes.length > 0 ? fixes.sort(compareVersions)[0]?.version : undefined;
  return { affected, problems, ...(fixedIn !== undefined ? { fixedIn } : {}) };
}

/**
 * True when the OSV record affects the npm package `name` at `version`.
 *
 * @example
 *   matchPackage(record, 'express', '5.0.0-beta.1') // true for GHSA-rv95-896h-c2vc
 */
export function matchPackage(record: OsvRecord, name: string, version: string): boolean {
  return evaluateRecord(record, name, version).affected;
}
