// The dependency audit gate: lockfiles, the offline OSV database, OSV matching, CVSS severity.

export { parseLockfile } from './lockfile.js';
export type { LockedPackage, Lockfile, LockfileKind, ParseLockfileResult } from './lockfile-types.js';
export { loadOsvDatabase, indexOsvRecords, type OsvDatabase, type LoadOsvOptions, type LoadOsvResult } from './database.js';
export { asOsvRecord, type OsvRecord, type OsvAffected, type OsvRange, type OsvEvent, type OsvSeverity } from './osv.js';
export { matchPackage, evaluateRecord, type RecordEvaluation } from './match.js';
export { cvss3BaseScore, type CvssScore } from './cvss.js';
export { severityOf, severityOfScore, type AdvisorySeverity, type Severity, type SeverityInfo } from './severity.js';
export { checkIgnores, type AuditIgnore } from './ignore.js';
export { auditLockfile, formatAuditFinding, type AuditFinding, type AuditOptions, type AuditResult, type IgnoredFinding } from './audit.js';
export { readZip, ZipFormatError, type ZipEntry } from './zip.js';
export { auditTree, findLockfile, LOCKFILE_NAMES, type AuditTreeResult } from './run.js';
