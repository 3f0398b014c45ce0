// The lines of a failed step quoted in the run's reason: its last lines, without the noise that
// hides the error — npm's usage text after a usage error (`npm ci` without a lockfile prints 40
// lines of options below the one line that matters). Pure.

const NPM_PREFIX = /^npm (?:error|ERR!)(?: |$)/;

/**
 * Removes npm's usage text: from the command's one-line description before `Usage:` to
 * `Run "npm help X" for more info`, both included. Lines of other programs are kept.
 */
export function withoutNpmUsage(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!/^npm (?:error|ERR!) Usage:\s*$/.test(line)) {
      out.push(line);
      continue;
    }
    // Drop the description (and the blank npm line around it) already copied.
    for (let last = out.at(-1); last !== undefined && NPM_PREFIX.test(last); last = out.at(-1)) {
      const body = last.replace(NPM_PREFIX, '').trim();
      if (body !== '' && !/^[A-Z][a-z]+(?: [a-z-]+){0,6}$/.test(body)) break;
      out.pop();
    }
    let j = i + 1;
    while (j < lines.length && NPM_PREFIX.test(lines[j] ?? '') && !/^npm (?:error|ERR!) Run "npm help /.test(lines[j] ?? '')) j++;
    i = j < lines.length && /^npm (?:error|ERR!) Run "npm help /.test(lines[j] ?? '') ? j : j - 1;
  }
  return out;
}

/** The last `max` lines worth quoting of a failed step's output. */
export function failureTail(lines: readonly string[], max: number): string[] {
  return withoutNpmUsage(lines).slice(-max);
}

/** npm's own words when `npm ci` finds no lockfile (npm 7 to 11). */
export const NPM_CI_WITHOUT_LOCKFILE = /`npm ci` command can only install with an existing package-lock\.json/;
