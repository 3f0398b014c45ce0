// Path rules shared by packing and unpacking archives: what an entry name may be, and where a
// symbolic link really points once the links along its way are followed. Pure: the file system
// (or the archive's own list of links) is consulted through a `readLink` callback.

export type PathCheck = { ok: true; path: string } | { ok: false; message: string };

/**
 * Normalises a relative path given by a user or found in an archive: `/` separators, no `.` or
 * empty segments, no trailing slash. Absolute paths, `..` segments and NUL bytes are refused.
 * The root itself normalises to `''`.
 */
export function normaliseRelativePath(raw: string): PathCheck {
  if (raw.includes('\0')) return { ok: false, message: 'contains a NUL byte' };
  if (raw.startsWith('/')) return { ok: false, message: 'is an absolute path' };
  if (/^[A-Za-z]:[\\/]/.test(raw)) return { ok: false, message: 'is an absolute (drive) path' };
  const segments: string[] = [];
  for (const s of raw.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') return { ok: false, message: 'contains a ".." segment' };
    segments.push(s);
  }
  return { ok: true, path: segments.join('/') };
}

/** Every proper ancestor of a normalised path, nearest to the root first: `a/b/c` → `a`, `a/b`. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

export type LinkCheck = { ok: true; resolved: string } | { ok: false; message: string };

/** Most links followed while resolving one target, as Linux's MAXSYMLINKS. */
export const MAX_LINK_HOPS = 40;

/**
 * Resolves the target of the link at `linkPath` (normalised, relative to the root) the way the
 * kernel would, following any link met on the way through `readLink` (which returns a link's
 * stored target, or undefined if the path is not a link). Refuses absolute targets and any step
 * that climbs above the root, including through another link (`b -> .` then `c -> b/..`), which
 * a purely lexical check would miss. Missing components are treated as plain directories.
 */
export function resolveLinkWithin(
  linkPath: string,
  target: string,
  readLink: (path: string) => string | undefined,
): LinkCheck {
  if (target === '') return { ok: false, message: 'has an empty link target' };
  if (target.startsWith('/')) return { ok: false, message: `points to the absolute path "${target}"` };
  const stack = linkPath.split('/').slice(0, -1);
  let pending = target.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending[0] as string;
    pending = pending.slice(1);
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) return { ok: false, message: `points outside the root ("${target}")` };
      stack.pop();
      continue;
    }
    stack.push(part);
    const next = readLink(stack.join('/'));
    if (next === undefined) continue;
    if (++hops > MAX_LINK_HOPS) return { ok: false, message: `has too many levels of links ("${target}")` };
    if (next.startsWith('/')) return { ok: false, message: `leads through a link to the absolute path "${next}"` };
    stack.pop();
    pending = [...next.split('/'), ...pending];
  }
  return { ok: true, resolved: stack.join('/') };
}
