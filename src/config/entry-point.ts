// The file `run.command` starts, and whether build.artifact holds it. `slipway init` checks its own
// guess with this before writing, and the build step checks every commit before packing, so that
// "node src/server.js" with an artifact of [dist/] fails at the run, not at the first deploy. Pure.

/** Where the entry point was read: `run.command` itself, or the npm script it runs. */
export interface EntryPoint {
  /** Repository-relative path of the script node starts (`dist/server.js`, `.` for the package). */
  file: string;
  /** `start` when `npm start` ran it, `run.command` when the command names it directly. */
  via: string;
}

/** Node's options that take the next word as their value (`-r dotenv/config`). */
const NODE_VALUE_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file', '--title', '--conditions', '-C', '--input-type', '--stack-size']);
/** Launchers that start their first non-option argument as a Node script. */
const LAUNCHERS = new Set(['node', 'nodejs', 'nodemon', 'ts-node', 'ts-node-esm', 'tsx', 'babel-node']);
/** Wrappers that run the rest of the line: `cross-env A=1 node x.js`, `exec node x.js`. */
const WRAPPERS = new Set(['cross-env', 'env', 'exec', 'dotenv', 'npx']);
const MAX_SCRIPT_DEPTH = 4;

/** The words of one shell command, split on blanks; quotes are removed, nothing is expanded. */
const words = (command: string): string[] => [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');

/** The script node starts in one simple command (the first of a `&&` / `;` chain that runs one). */
function scriptOf(words: string[]): string | undefined {
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] ?? '')) i++;
  while (i < words.length && WRAPPERS.has(words[i] ?? '')) {
    i++;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] ?? '') || (words[i] ?? '').startsWith('-'))) i++;
  }
  if (!LAUNCHERS.has(words[i] ?? '')) return undefined;
  for (i++; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === '--') continue;
    if (w.startsWith('-')) {
      if (w === '-e' || w === '--eval' || w === '-p' || w === '--print') return undefined; // inline code, no file
      if (NODE_VALUE_FLAGS.has(w)) i++;
      continue;
    }
    return w;
  }
  return '.'; // `node` alone does not serve; treat it as the package itself
}

/** `./dist//server.js` → `dist/server.js`; `.` and `./` → `.`. */
const clean = (p: string): string => p.replace(/\\/g, '/').replace(/^(?:\.\/)+/, '').replace(/\/{2,}/g, '/').replace(/\/$/, '') || '.';

/**
 * The file `command` starts, following `npm start` / `npm run X` into package.json's scripts.
 * Undefined when it cannot tell (another tool, inline code): nothing is then checked.
 *
 * @example
 * entryPointOf('npm start', { start: 'NODE_ENV=production node src/server.js' })
 * // → { file: 'src/server.js', via: 'start' }
 */
export function entryPointOf(command: string, scripts: Record<string, string> = {}, via = 'run.command', depth = 0): EntryPoint | undefined {
  if (depth > MAX_SCRIPT_DEPTH) return undefined;
  for (const part of command.split(/&&|\|\||;/)) {
    const w = words(part.trim());
    if (w.length === 0) continue;
    const npmScript = w[0] === 'npm' ? (w[1] === 'start' ? 'start' : (w[1] === 'run' || w[1] === 'run-script') && w[2] !== undefined ? w[2] : undefined) : undefined;
    if (npmScript !== undefined) {
      const script = scripts[npmScript];
      // npm's own default for a missing start script is `node server.js`.
      if (script === undefined) return npmScript === 'start' ? { file: 'server.js', via: 'start' } : undefined;
      return entryPointOf(script, scripts, npmScript, depth + 1);
    }
    const file = scriptOf(w);
    if (file !== undefined) return { file: clean(file), via };
  }
  return undefined;
}

/** Whether a repository-relative file is packed by the artifact's paths (a listed file or below a listed directory). */
export function artifactHolds(paths: readonly string[], file: string): boolean {
  const f = clean(file);
  return paths.some((raw) => {
    const p = clean(raw);
    return p === '.' || p === f || f.startsWith(`${p}/`);
  });
}

/** What to add to the artifact so that it holds `file`: its top directory (`src/`), or the file at the root. */
export const artifactPathFor = (file: string): string => {
  const f = clean(file);
  const slash = f.indexOf('/');
  return slash === -1 ? f : `${f.slice(0, slash)}/`;
};

/**
 * The problem with `command` and `artifact`, as one sentence with the fix, or undefined when the
 * entry point is packed (or cannot be told).
 *
 * @example
 * entryOutsideArtifact('npm start', { start: 'node src/server.js' }, ['dist/', 'package.json'])
 * // → 'start runs src/server.js, which is not in build.artifact [dist/, package.json]: add src/ or change run.command'
 */
export function entryOutsideArtifact(command: string, scripts: Record<string, string> | undefined, artifact: readonly string[]): string | undefined {
  const entry = entryPointOf(command, scripts ?? {});
  if (!entry || entry.file === '.' || artifactHolds(artifact, entry.file)) return undefined;
  return `${entry.via} runs ${entry.file}, which is not in build.artifact [${artifact.join(', ')}]: add ${artifactPathFor(entry.file)} or change run.command`;
}
