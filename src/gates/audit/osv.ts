// The parts of an OSV record (https://ossf.github.io/osv-schema/) the audit reads, and a light
// check that a parsed JSON document is one. Unknown fields are kept as they are.

export interface OsvSeverity {
  type: string;
  score: string;
}

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: string;
  events: OsvEvent[];
  repo?: string;
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  ranges?: OsvRange[];
  versions?: string[];
  severity?: OsvSeverity[];
  database_specific?: Record<string, unknown>;
  ecosystem_specific?: Record<string, unknown>;
}

export interface OsvRecord {
  id: string;
  modified?: string;
  withdrawn?: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  database_specific?: Record<string, unknown>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Checks the shape the matcher relies on; returns the record, or a message saying what is wrong.
 * Deeper oddities (an event with no version) are tolerated here and reported by the matcher.
 */
export function asOsvRecord(value: unknown): OsvRecord | string {
  if (!isObj(value)) return 'not a JSON object';
  if (typeof value.id !== 'string' || value.id === '') return 'no "id": not an OSV record';
  if (value.withdrawn !== undefined && typeof value.withdrawn !== 'string') return '"withdrawn" is not a string';
  if (value.aliases !== undefined && !isStringArray(value.aliases)) return '"aliases" is not a list of strings';
  if (value.severity !== undefined && !Array.isArray(value.severity)) return '"severity" is not a list';
  if (value.affected !== undefined) {
    if (!Array.isArray(value.affected)) return '"affected" is not a list';
    for (const [i, a] of value.affected.entries()) {
      if (!isObj(a)) return `affected[${i}] is not an object`;
      if (a.package !== undefined && (!isObj(a.package) || typeof a.package.name !== 'string' || typeof a.package.ecosystem !== 'string')) {
        return `affected[${i}].package needs "ecosystem" and "name"`;
      }
      if (a.versions !== undefined && !isStringArray(a.versions)) return `affected[${i}].versions is not a list of strings`;
      if (a.ranges !== undefined) {
        if (!Array.isArray(a.ranges)) return `affected[${i}].ranges is not a list`;
        for (const [j, r] of a.ranges.entries()) {
          if (!isObj(r) || typeof r.type !== 'string' || !Array.isArray(r.events) || !r.events.every(isObj)) {
            return `affected[${i}].ranges[${j}] needs "type" and a list of "events"`;
          }
        }
      }
    }
  }
  return value as unknown as OsvRecord;
}
