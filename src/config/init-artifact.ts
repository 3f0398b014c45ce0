// What `slipway init` packs: with no build step, every tracked file except tests and dev files;
// with a build, its output directory — plus the directory of the entry point when `start` or
// `main` runs a file outside it. Each choice comes with the comment lines that say why. Pure.

import { artifactHolds, artifactPathFor, entryPointOf } from './entry-point.js';

export const OUTPUT_DIRS = ['dist', 'build', 'out'];

/** Top-level directories of tests, docs and tooling: never needed to run the app. */
const DEV_DIRS = new Set([
  'test', 'tests', '__tests__', 'spec', 'specs', 'e2e', 'cypress', 'playwright', 'coverage', 'docs', 'doc',
  'examples', 'example', 'bench', 'benchmark', 'benchmarks', 'fixtures', 'node_modules',
]);

/** Top-level files of docs and tooling (dotfiles are left out as a whole). */
const DEV_FILES = [
  /\.md$/i, /^(?:LICEN[CS]E|COPYING|AUTHORS|CONTRIBUTORS|NOTICE|CHANGELOG|HISTORY)(?:\..*)?$/i,
  /^Dockerfile/, /^(?:docker-)?compose\.ya?ml$/, /^docker-compose/, /^Makefile$/, /^slipway\.ya?ml$/,
  /^[tj]sconfig(?:\..+)?\.json$/, /\.(?:test|spec)\.[cm]?[jt]sx?$/,
  /^(?:eslint|prettier|jest|vitest|vite|karma|mocha|playwright|cypress|commitlint|lint-staged|stylelint|rollup|webpack|tsup|babel)\.config\./,
  /^(?:nodemon|renovate|lerna|turbo)\.json$/, /^(?:appveyor|\.travis)\.ya?ml$/,
];

export interface ArtifactInput {
  /** Names at the repository root (directories may end in `/`). */
  rootEntries: ReadonlySet<string>;
  /** Repository-relative paths of the tracked files; empty when nothing is committed yet. */
  tracked: readonly string[];
  hasBuild: boolean;
  lockfile?: string;
  hasDeps: boolean;
  runCommand: string;
  scripts: Record<string, string>;
}

export interface ArtifactChoice {
  paths: string[];
  /** True when the output directory of the build was guessed, not seen. */
  outputGuessed: boolean;
  /** Comment lines (without `#`) that say what was chosen and why. */
  why: string[];
  /** A run.command that starts a file nowhere to be found. */
  warnings: string[];
}

const isDev = (name: string, dir: boolean): boolean => name.startsWith('.') || (dir ? DEV_DIRS.has(name) : DEV_FILES.some((re) => re.test(name)));

/** Top-level entries of the tracked files (or of the root listing when nothing is tracked): `src/`, `server.js`. */
function topLevel(input: ArtifactInput): string[] {
  const out = new Set<string>();
  if (input.tracked.length > 0) {
    for (const f of input.tracked) {
      const slash = f.indexOf('/');
      out.add(slash === -1 ? f : `${f.slice(0, slash)}/`);
    }
  } else {
    for (const e of input.rootEntries) out.add(e);
  }
  return [...out].sort();
}

/** Decides build.artifact and explains it. */
export function chooseArtifact(input: ArtifactInput): ArtifactChoice {
  const paths: string[] = [];
  const why: string[] = [];
  const warnings: string[] = [];
  let outputGuessed = false;
  const has = (name: string) => input.rootEntries.has(name) || input.rootEntries.has(`${name}/`);
  if (input.hasBuild) {
    const seen = OUTPUT_DIRS.find(has);
    outputGuessed = seen === undefined;
    paths.push(`${seen ?? 'dist'}/`);
    why.push(
      outputGuessed
        ? 'dist/ is a guess at where `npm run build` writes (no dist/, build/ or out/ yet); change it if your build writes elsewhere'
        : `${seen}/ is what \`npm run build\` writes`,
    );
  } else {
    const leftOut: string[] = [];
    for (const e of topLevel(input)) {
      const dir = e.endsWith('/');
      const name = dir ? e.slice(0, -1) : e;
      if (name === 'package.json' || name === input.lockfile) continue;
      if (isDev(name, dir)) leftOut.push(e);
      else paths.push(e);
    }
    why.push(`no build step: every ${input.tracked.length > 0 ? 'tracked' : 'top-level'} file the app runs from, without tests and dev files`);
    if (leftOut.length > 0) why.push(`left out: ${leftOut.slice(0, 8).join(', ')}${leftOut.length > 8 ? `, and ${leftOut.length - 8} more` : ''}`);
  }
  // init checks its own guess: the file run.command starts must be packed.
  const entry = entryPointOf(input.runCommand, input.scripts);
  if (entry && entry.file !== '.' && !artifactHolds(paths, entry.file)) {
    const add = artifactPathFor(entry.file);
    const runs = `${entry.via === 'run.command' ? 'run.command' : `\`npm ${entry.via === 'start' ? 'start' : `run ${entry.via}`}\``} runs ${entry.file}`;
    const exists = input.tracked.length > 0 ? input.tracked.some((f) => f === entry.file || f.startsWith(`${entry.file}/`) || f.startsWith(`${entry.file}.`)) : input.rootEntries.has(add);
    // A file under another output directory may be written by the build; one that is neither there nor built cannot run.
    if (exists || (input.hasBuild && OUTPUT_DIRS.includes(add.slice(0, -1)))) {
      paths.push(add);
      why.push(`${add} too: ${runs}`);
    } else {
      warnings.push(`${runs}, which is not in the repository: change run.command${entry.via === 'run.command' ? ' (or add a start script to package.json)' : ''}`);
    }
  }
  paths.push('package.json');
  if (input.lockfile) paths.push(input.lockfile);
  // node_modules/ exists after the build's install only when there is something to install.
  if (input.hasDeps) {
    paths.push('node_modules/');
    why.push('node_modules/ holds the production dependencies the build installs (devDependencies are left out)');
  }
  return { paths, outputGuessed, why, warnings };
}
