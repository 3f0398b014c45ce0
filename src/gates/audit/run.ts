// The dependency audit of a checked-out tree, end to end: find the lockfile, read it, load the
// OSV database, audit. Every expected failure comes back as a value with a message.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditLockfile, type AuditOptions, type AuditResult } from './audit.js';
import { loadOsvDatabase, type LoadOsvOptions } from './database.js';
import { parseLockfile } from './lockfile.js';

/** Lockfile names looked for at the root of the tree, in this order. */
export const LOCKFILE_NAMES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock'] as const;

export type AuditTreeResult =
  | (AuditResult & { ok: true; lockfile: string; databaseWarnings: string[] })
  | { ok: false; reason: 'no-lockfile' | 'bad-lockfile' | 'database' | 'bad-ignore'; message: string };

/** The first lockfile present at `root`, or undefined. */
export async function findLockfile(root: string): Promise<{ name: string; text: string } | undefined> {
  for (const name of LOCKFILE_NAMES) {
    try {
      return { name, text: await readFile(join(root, name), 'utf8') };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return undefined;
}

/**
 * Audits the lockfile at the root of `root` against the OSV database at `database`.
 *
 * @example
 *   const r = await auditTree(checkout, '/srv/osv/npm.zip', { severity: 'high', ignore, now: new Date() });
 */
export async function auditTree(root: string, database: string, opts: AuditOptions & LoadOsvOptions = {}): Promise<AuditTreeResult> {
  const lock = await findLockfile(root);
  if (lock === undefined) {
    return { ok: false, reason: 'no-lockfile', message: `no lockfile at ${root} (looked for ${LOCKFILE_NAMES.join(', ')}): commit one so the audit can see what is installed` };
  }
  const parsed = parseLockfile(lock.text, lock.name);
  if (!parsed.ok) return { ok: false, reason: 'bad-lockfile', message: parsed.message };
  const db = await loadOsvDatabase(database, opts);
  if (!db.ok) return { ok: false, reason: 'database', message: db.message };
  const r = auditLockfile(parsed.lockfile, db.db, opts);
  if (!r.ok) return { ok: false, reason: 'bad-ignore', message: r.errors.join('\n') };
  return { ...r, warnings: [...parsed.lockfile.warnings, ...r.warnings], lockfile: lock.name, databaseWarnings: db.warnings };
}
