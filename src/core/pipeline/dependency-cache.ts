// The dependency cache's rules, pure: which part of a build command is the dependency install that
// the cache may stand in for, when a commit's install may be taken from the cache at all, and the
// key that names the tree an install produced (engine/run/dependencies.ts applies them).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

/** A build command split at its leading `npm ci`: the install, and what runs after it (if anything). */
export interface InstallSplit {
  install: string;
  rest: string | undefined;
}

const FLAG = /^--[a-z][a-z-]*(=[A-Za-z0-9._-]+)?$/;

/**
 * The leading `npm ci` of a build command (with plain `--flag` or `--flag=value` options only),
 * and the rest after its `&&`; null when the command does not start that way. Anything else a shell
 * could read differently (`;`, `||`, pipes, quotes, variables) is not split: such a build runs as
 * written, without the cache.
 *
 * @example splitInstall('npm ci --omit=dev && npm run build') // → { install: 'npm ci --omit=dev', rest: 'npm run build' }
 * @example splitInstall('npm ci; npm run build') // → null
 */
export function splitInstall(command: string): InstallSplit | null {
  const at = command.indexOf('&&');
  const head = (at === -1 ? command : command.slice(0, at)).trim();
  const rest = at === -1 ? undefined : command.slice(at + 2).trim();
  if (rest === '') return null;
  const words = head.split(/[ \t]+/);
  if (words[0] !== 'npm' || words[1] !== 'ci') return null;
  if (!words.slice(2).every((w) => FLAG.test(w))) return null;
  return { install: words.join(' '), rest };
}

/** npm's lifecycle scripts of the root package that `npm ci` runs: they may read and write anything. */
const ROOT_INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare', 'dependencies'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

const parse = (text: string): Json | undefined => {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
};

/**
 * Why this commit's `npm ci` must run rather than be taken from the cache, or null when it may be:
 * the tree it installs must depend on the keyed files only. A root package with install scripts
 * (husky, patch-package: they read and write other files) and a lockfile with links (workspaces,
 * `file:` directories, built where they lie, outside node_modules) are installed every time.
 */
export function cacheRefusal(manifest: string | undefined, lockfile: string | undefined): string | null {
  if (lockfile === undefined) return 'the commit has no package-lock.json';
  const lock = parse(lockfile);
  const pkg = manifest === undefined ? undefined : parse(manifest);
  if (!isObject(lock) || !isObject(pkg)) return 'package.json or package-lock.json is not valid JSON';
  const scripts = pkg.scripts;
  const own = isObject(scripts) ? ROOT_INSTALL_SCRIPTS.filter((s) => typeof scripts[s] === 'string') : [];
  if (own.length > 0) return `package.json has ${own.map((s) => `a "${s}" script`).join(' and ')}, which npm ci runs and which may read any file of the commit`;
  const packages = lock.packages;
  if (isObject(packages) && Object.values(packages).some((p) => isObject(p) && p.link === true)) {
    return 'package-lock.json links packages of the repository (workspaces or file: directories), which are built outside node_modules';
  }
  return null;
}

/** The toolchain an install ran on: a native module built by one does not load on, or differs from, another's. */
export interface Toolchain {
  node: string;
  /** process.versions.modules: Node's ABI version. */
  modules: string;
  platform: string;
  arch: string;
  npm: string;
}

export interface KeyInputs {
  install: string;
  manifest: string;
  lockfile: string;
  /** The repository's .npmrc, when it has one (registry, flags). */
  npmrc: string | undefined;
  /** The build's own environment variables (install scripts may read them); secrets by name only. */
  env: Record<string, string>;
  secretNames: readonly string[];
  toolchain: Toolchain;
}

/**
 * The cache key of an install: sha256 of everything `npm ci` reads that a commit can change
 * (the command, package.json, the lockfile, .npmrc, the build's variables) and the toolchain.
 *
 * @example dependencyKey({ install: 'npm ci', manifest, lockfile, npmrc: undefined, env: {}, secretNames: [], toolchain }) // → '3f…' (64 hex)
 */
export function dependencyKey(inputs: KeyInputs): string {
  const body = canonicalJson({
    v: 1,
    install: inputs.install,
    manifest: inputs.manifest,
    lockfile: inputs.lockfile,
    npmrc: inputs.npmrc ?? null,
    env: inputs.env,
    secretNames: [...inputs.secretNames].sort(),
    toolchain: { ...inputs.toolchain },
  });
  return createHash('sha256').update(body).digest('hex');
}
