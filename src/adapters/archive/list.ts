// Lists an archive and checks it against the rules every Slipway archive must follow: safe
// relative names, only files, directories and symlinks, no duplicates, nothing below a link, and
// links that stay inside the archive's root.

import { createHash } from 'node:crypto';
import { ancestorsOf, normaliseRelativePath, resolveLinkWithin } from '../../core/artifact/archive-paths.js';
import type { ManifestEntry } from '../../core/artifact/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import { walkArchive, type RawEntry } from './read.js';

export interface ListOptions {
  /** Also compute each file's sha256 (reads all the data). */
  hash?: boolean;
}

const TYPES: Record<string, ManifestEntry['type'] | undefined> = { '0': 'file', '7': 'file', '5': 'dir', '2': 'symlink' };
const NAMES: Record<string, string> = { '1': 'hard link', '3': 'character device', '4': 'block device', '6': 'fifo', g: 'PAX global header' };

/**
 * The entries of the archive at `file`, in archive order, paths normalised (no trailing slash).
 * Throws `SlipwayError('corrupt')` for a malformed archive and `SlipwayError('refused')` naming the
 * entry for anything unsafe: `..`, absolute names, links escaping the root, devices, hard links.
 */
export async function listArchive(file: string, options: ListOptions = {}): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  await walkArchive(file, async (raw, readData) => {
    const entry = toEntry(raw, file);
    if (entry === null) return;
    if (options.hash === true && entry.type === 'file') {
      const h = createHash('sha256');
      await readData((chunk) => void h.update(chunk));
      entry.sha256 = h.digest('hex');
    }
    entries.push(entry);
  });
  checkTree(entries, file);
  return entries;
}

/** Checks and normalises one raw entry; null for the root directory itself (`./`). */
export function toEntry(raw: RawEntry, file: string): ManifestEntry | null {
  const refuse = (why: string): SlipwayError =>
    new SlipwayError('refused', `archive ${file}: entry "${raw.name}" ${why}`, 'the archive was not made by Slipway or was tampered with; rebuild it');
  const type = TYPES[raw.typeflag];
  if (type === undefined) {
    throw refuse(`is a ${NAMES[raw.typeflag] ?? `type "${raw.typeflag}" entry`}: only files, directories and symlinks are allowed`);
  }
  const checked = normaliseRelativePath(raw.name);
  if (!checked.ok) throw refuse(checked.message);
  if (checked.path === '') {
    if (type === 'dir') return null;
    throw refuse('has an empty name');
  }
  const entry: ManifestEntry = {
    path: checked.path,
    type,
    size: type === 'file' ? raw.size : 0,
    mode: type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : (raw.mode & 0o111) !== 0 ? 0o755 : 0o644,
  };
  if (type === 'symlink') entry.target = raw.linkname;
  return entry;
}

/** Whole-archive rules: no duplicate paths, nothing below a link or a file, links stay inside. */
export function checkTree(entries: readonly ManifestEntry[], file: string): void {
  const refuse = (path: string, why: string): SlipwayError =>
    new SlipwayError('refused', `archive ${file}: entry "${path}" ${why}`, 'the archive was not made by Slipway or was tampered with; rebuild it');
  const byPath = new Map<string, ManifestEntry>();
  for (const e of entries) {
    if (byPath.has(e.path)) throw refuse(e.path, 'appears twice');
    byPath.set(e.path, e);
  }
  const links = new Map<string, string>();
  for (const e of entries) if (e.type === 'symlink') links.set(e.path, e.target ?? '');
  for (const e of entries) {
    for (const a of ancestorsOf(e.path)) {
      const parent = byPath.get(a);
      if (parent?.type === 'symlink') throw refuse(e.path, `lies below the symlink "${a}"`);
      if (parent?.type === 'file') throw refuse(e.path, `lies below the file "${a}"`);
    }
    if (e.type === 'symlink') {
      const r = resolveLinkWithin(e.path, e.target ?? '', (p) => links.get(p));
      if (!r.ok) throw refuse(e.path, `is a link that ${r.message}`);
    }
  }
}
