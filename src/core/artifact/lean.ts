// What a packed artifact leaves out unless asked: source maps and tests, which a running app does
// not need. Pure: the rule over relative paths; the packer applies it while it walks a directory.

/** What `build.keep` may bring back into the artifact. */
export const KEEP_KINDS = ['source-maps', 'tests'] as const;
export type KeepKind = (typeof KEEP_KINDS)[number];

/** The rule in words, for logs and docs. */
export const LEAN_RULE = 'source maps (*.map) and tests (directories test/, tests/, __tests__/; files *.test.js, *.spec.ts and the like)';

const TEST_DIRS = new Set(['test', 'tests', '__tests__']);
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/**
 * Why the entry at `path` (relative, `/`-separated) found below a listed directory is left out of
 * the artifact, or null when it goes in. A directory directly inside `node_modules` (or a scope
 * `@x` there) is a package, never a test directory: a dependency may be called `test`.
 *
 * @example leftOutBy('dist/app.js.map', 'file', []) // → 'source-maps'
 * @example leftOutBy('dist/app.js.map', 'file', ['source-maps']) // → null
 */
export function leftOutBy(path: string, type: 'file' | 'dir' | 'symlink', keep: readonly KeepKind[]): KeepKind | null {
  const parts = path.split('/');
  const name = parts[parts.length - 1] ?? '';
  if (type === 'dir') {
    if (keep.includes('tests') || !TEST_DIRS.has(name)) return null;
    const parent = parts[parts.length - 2];
    const grand = parts[parts.length - 3];
    const isPackage = parent === 'node_modules' || (parent?.startsWith('@') === true && grand === 'node_modules');
    return isPackage ? null : 'tests';
  }
  if (name.endsWith('.map') && !keep.includes('source-maps')) return 'source-maps';
  if (TEST_FILE.test(name) && !keep.includes('tests')) return 'tests';
  return null;
}
