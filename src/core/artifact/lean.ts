// What a packed artifact leaves out unless asked: source maps, tests and node-gyp's intermediate
// build files, which a running app does not need (the last also name the directory a native module
// was compiled in, so that an artifact holding them would differ from one checkout to the next).
// Pure: the rule over relative paths; the packer applies it while it walks a directory.

/** What `build.keep` may bring back into the artifact. */
export const KEEP_KINDS = ['source-maps', 'tests', 'native-build-files'] as const;
export type KeepKind = (typeof KEEP_KINDS)[number];

/** The rule in words, for logs and docs. */
export const LEAN_RULE = 'source maps (*.map), tests (directories test/, tests/, __tests__/; files *.test.js, *.spec.ts and the like) and node-gyp build files (Makefile, config.gypi, *.mk, obj.target/, .deps/ in a package\'s build/)';

const TEST_DIRS = new Set(['test', 'tests', '__tests__']);
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;
const GYP_FILES = new Set(['Makefile', 'config.gypi', 'binding.Makefile']);

/** Whether `parts` (the entry's path) lies in `build/` of a package in node_modules, `depth` levels below it. */
const inPackageBuild = (parts: readonly string[], depth: number): boolean => {
  const build = parts.length - 1 - depth;
  if (parts[build] !== 'build') return false;
  const pkg = build - 1;
  return parts[pkg - 1] === 'node_modules' || (parts[pkg - 2] === 'node_modules' && parts[pkg - 1]?.startsWith('@') === true);
};

/** node-gyp's intermediates: its Makefiles and config, and the object files and dependency lists of each configuration. */
const isGypIntermediate = (parts: readonly string[], type: 'file' | 'dir' | 'symlink'): boolean => {
  const name = parts[parts.length - 1] ?? '';
  if (type === 'file') return (GYP_FILES.has(name) || name.endsWith('.mk')) && inPackageBuild(parts, 1);
  if (type === 'dir') return (name === 'obj.target' || name === '.deps') && ['Release', 'Debug'].includes(parts[parts.length - 2] ?? '') && inPackageBuild(parts, 2);
  return false;
};

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
  if (!keep.includes('native-build-files') && isGypIntermediate(parts, type)) return 'native-build-files';
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
