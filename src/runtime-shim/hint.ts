// Recognises an app that tried to write beside its code (its release directory is read-only) in
// its last output lines, so that the failure says where data belongs instead of a bare EACCES.

import { isAbsolute, relative, resolve } from 'node:path';

/** Node's `EACCES: permission denied, open 'x'` and the shell's `cannot create x: Permission denied`. */
const NODE_ERROR = /\b(EACCES|EROFS|EPERM)\b[^'"]*['"]([^'"]+)['"]/;
const SHELL_ERROR = /(?:cannot create|can't create|cannot touch|cannot open) ['"]?([^:'"]+)['"]?: (?:Permission denied|Read-only file system)/i;

const inside = (p: string, dir: string): boolean => {
  const rel = relative(dir, resolve(dir, p));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * The hint for the first line that reports a write refused inside `releaseDir` (a relative path
 * counts: the app's working directory is its release), or null.
 *
 * @example
 * writeHint(["Error: EACCES: permission denied, open 'users.json'"], '/srv/r/v3', '/srv/d/prod')
 * // → "the app tried to write users.json inside its release directory, which is read-only: …"
 */
export function writeHint(lines: readonly string[], releaseDir: string, dataDir: string): string | null {
  for (const line of lines) {
    const m = NODE_ERROR.exec(line);
    const path = m?.[2] ?? SHELL_ERROR.exec(line)?.[1];
    if (path === undefined || !inside(path, releaseDir)) continue;
    return `the app tried to write ${path} inside its release directory, which is read-only (it is replaced at the next release): keep data in $SLIPWAY_DATA_DIR (${dataDir}), kept across releases and rollbacks, and scratch files in $TMPDIR`;
  }
  return null;
}
