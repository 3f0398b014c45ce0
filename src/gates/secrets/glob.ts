// Path globs for allowlist entries, matched against '/'-separated relative paths.
// `*` stays within one path segment, `**` spans segments, `?` is one character, `{a,b}` is either;
// a pattern without '/' matches a file or directory name at any depth (like .gitignore), and a
// pattern that matches a directory matches everything below it.

function escape(ch: string): string {
  return /[\\^$.|+()[\]{}*?]/.test(ch) ? `\\${ch}` : ch;
}

/** Compiles a glob into an anchored regular expression. Throws on an unbalanced `{`. */
export function globToRegExp(glob: string): RegExp {
  let g = glob.trim().replace(/\\/g, '/');
  const anchored = g.startsWith('/') || g.slice(0, -1).includes('/');
  g = g.replace(/^\/+/, '').replace(/\/+$/, '');
  let out = '';
  let braces = 0;
  for (let i = 0; i < g.length; i++) {
    const ch = g[i] as string;
    if (ch === '*') {
      if (g[i + 1] === '*') {
        const slashAfter = g[i + 2] === '/';
        out += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') out += '[^/]';
    else if (ch === '{') {
      braces++;
      out += '(?:';
    } else if (ch === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (ch === ',' && braces > 0) out += '|';
    else out += escape(ch);
  }
  if (braces > 0) throw new SyntaxError(`unbalanced "{" in glob "${glob}"`);
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${out}(?:/.*)?$`);
}
