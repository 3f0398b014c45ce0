// What a webhook's app may name as the repository it fetches pushed commits from, and what a
// generic signed push says. Pure: the server stores the URL and runs git with it.

/** Longest remote URL accepted. */
export const MAX_REMOTE_URL = 500;

/**
 * Why `url` cannot be an app's remote, or undefined when it can. Accepted: `https://host/path`,
 * `ssh://[user@]host[:port]/path`, scp-like `user@host:path`, and an absolute path or `file://` URL
 * (a repository on this machine). Refused: other transports (`ext::` runs commands, `git://` and
 * `http://` are not authenticated), anything git could read as an option, control characters, and
 * a password in the URL (it would be kept and shown in clear: use an ssh deploy key instead).
 *
 * @example
 * remoteUrlProblem('https://github.com/acme/shop.git') // undefined
 * remoteUrlProblem('ext::sh -c touch% /tmp/x')         // 'only https://, ssh://, user@host:path, …'
 */
export const remoteUrlProblem = (url: string): string | undefined => {
  if (url.length === 0) return 'the remote URL is empty';
  if (url.length > MAX_REMOTE_URL) return `the remote URL is longer than ${MAX_REMOTE_URL} characters`;
  if (/[\x00-\x20\x7f]/.test(url)) return 'the remote URL contains a space or a control character';
  if (url.startsWith('-')) return 'the remote URL starts with "-" (git would read it as an option)';
  if (url.includes('::')) return 'transports named with "::" (ext::, fd::) are refused: they run commands';
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme !== 'https' && scheme !== 'ssh' && scheme !== 'file') return `${scheme}:// is refused: only https://, ssh://, user@host:path, file:// or an absolute path`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'the remote URL does not parse';
    }
    if (parsed.password !== '') return 'a password in the remote URL is refused: it would be kept and shown in clear (use an ssh deploy key, or a public repository)';
    if (scheme === 'file') return parsed.host === '' && parsed.pathname.startsWith('/') ? undefined : 'a file:// URL names an absolute path on this machine, file:///srv/git/shop.git';
    if (parsed.hostname === '' || url.slice(scheme.length + 3).startsWith('/')) return `the ${scheme}:// URL has no host`;
    return undefined;
  }
  if (url.startsWith('/')) return url.split('/').includes('..') ? 'the path contains ".."' : undefined;
  // scp-like: [user@]host:path, where host has no slash (git reads a slash before the colon as a path).
  const scp = /^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9.-]+):([^/].*|\/.+)$/.exec(url);
  if (scp) return undefined;
  return 'expected https://host/path, ssh://host/path, user@host:path, file:///path or an absolute path';
};

/** A generic signed push: the commit to queue and, optionally, the branch it was pushed to. */
export interface GenericPush {
  /** The pushed commit (40 lower-case hex digits). */
  commit: string;
  /** `refs/heads/<branch>`; refs/heads/main when absent. */
  ref: string;
}

export type GenericPushParse = { ok: true; push: GenericPush } | { ok: false; field: string; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The body of a generic signed webhook: `{"commit": "<40 hex>", "ref": "refs/heads/main"}` (ref
 * optional); any other key is refused by name, so that a typo is not silently ignored.
 */
export const parseGenericPush = (body: unknown): GenericPushParse => {
  if (!isObject(body)) return { ok: false, field: 'body', message: 'must be a JSON object such as {"commit": "<40 hex digits>"}' };
  const extra = Object.keys(body).filter((k) => k !== 'commit' && k !== 'ref');
  if (extra.length > 0) return { ok: false, field: extra[0] ?? '', message: 'is not accepted (the fields are "commit" and "ref")' };
  const { commit, ref } = body;
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) return { ok: false, field: 'commit', message: 'must be a commit id of 40 lower-case hex digits' };
  if (ref !== undefined && (typeof ref !== 'string' || !/^refs\/[A-Za-z0-9._/-]{1,250}$/.test(ref))) return { ok: false, field: 'ref', message: 'must be a ref such as refs/heads/main' };
  return { ok: true, push: { commit, ref: typeof ref === 'string' ? ref : 'refs/heads/main' } };
};
