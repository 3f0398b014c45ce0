// The severity of an advisory: GitHub's reviewed label (database_specific.severity) when there
// is one, else the qualitative rating of the CVSS v3 base score computed from the vector.

import type { Severity } from '../../config/types.js';
import { cvss3BaseScore } from './cvss.js';
import type { OsvAffected, OsvRecord, OsvSeverity } from './osv.js';

export type { Severity };
/** 'unknown' when the record carries neither a label nor a CVSS v3 vector. */
export type AdvisorySeverity = Severity | 'unknown';

export const SEVERITY_RANK: Record<AdvisorySeverity, number> = { unknown: 5, critical: 4, high: 3, moderate: 2, low: 1 };

export interface SeverityInfo {
  severity: AdvisorySeverity;
  /** CVSS base score, when a v3 vector was present and readable. */
  score?: number;
  vector?: string;
  problems: string[];
}

/** CVSS v3 qualitative rating (None 0.0 is reported as low: the advisory still exists). */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'moderate';
  return 'low';
}

function label(v: unknown): Severity | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.toLowerCase();
  if (s === 'medium' || s === 'moderate') return 'moderate';
  return s === 'low' || s === 'high' || s === 'critical' ? s : undefined;
}

/** Severity of a record, looking at the matched package's own entry first when given. */
export function severityOf(record: OsvRecord, entry?: OsvAffected): SeverityInfo {
  const problems: string[] = [];
  const vectors: OsvSeverity[] = [...(entry?.severity ?? []), ...(record.severity ?? [])].filter(
    (s) => typeof s === 'object' && s !== null && s.type === 'CVSS_V3' && typeof s.score === 'string',
  );
  let score: number | undefined;
  let vector: string | undefined;
  for (const s of vectors) {
    const r = cvss3BaseScore(s.score);
    if (typeof r === 'string') problems.push(`${record.id}: CVSS vector "${s.score}" ignored: ${r}`);
    else {
      score = r.score;
      vector = s.score;
      break;
    }
  }
  const given =
    label(entry?.ecosystem_specific?.severity) ?? label(entry?.database_specific?.severity) ?? label(record.database_specific?.severity);
  const severity: AdvisorySeverity = given ?? (score !== undefined ? severityOfScore(score) : 'unknown');
  return { severity, problems, ...(score !== undefined ? { score } : {}), ...(vector !== undefined ? { vector } : {}) };
}
