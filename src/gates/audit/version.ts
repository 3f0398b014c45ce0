// npm versions for OSV ranges: strict SemVer 2.0 where possible, and a lenient reading of short
// forms found in real advisories ("1.0" → 1.0.0). Comparison follows SemVer precedence, so
// pre-releases order correctly (5.0.0-alpha.1 < 5.0.0-beta.3 < 5.0.0).

import semver from 'semver';

/** A parsed version, or undefined when the string is not a version at all. */
export function parseVersion(v: string): semver.SemVer | undefined {
  const strict = semver.parse(v);
  if (strict !== null) return strict;
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) return undefined;
  return semver.parse(`${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}${m[4] ?? ''}${m[5] ?? ''}`) ?? undefined;
}

/** SemVer precedence: negative, zero or positive. */
export function compareVersions(a: semver.SemVer, b: semver.SemVer): number {
  return semver.compare(a, b);
}
