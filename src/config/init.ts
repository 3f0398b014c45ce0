// `slipway init`: a commented slipway.yaml guessed from package.json and the files at the
// repository root. Pure; the CLI reads package.json and lists the root, then writes the text.

import { DEFAULTS } from './defaults.js';
import { chooseArtifact } from './init-artifact.js';
import { detectHealthPath, HEALTH_PATHS, type HealthGuess } from './init-health.js';
import { formatMs } from '../core/duration.js';
import { parseDuration } from './values.js';

/** The parts of package.json that init looks at. */
export interface PackageJson {
  name?: string;
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface InitOptions {
  /** Names of the entries at the repository root; directories may be written `dist` or `dist/`. */
  files: readonly string[];
  /** Repository-relative paths of the tracked files (`git ls-files`); what a no-build artifact is chosen from. */
  tracked?: readonly string[];
  /** Source texts searched for a health route (the CLI reads the tracked JavaScript and TypeScript files). */
  sources?: ReadonlyArray<{ path: string; text: string }>;
  /** Environment ports, chosen by the CLI free on this machine and unclaimed by other Slipway apps. */
  ports?: { staging: number; production: number };
  /** Used for the app name when package.json has none (usually the directory's name). */
  dirName?: string;
}

/** What init decided, before it is written out; exported for tests and `slipway init --json`. */
export interface InitPlan {
  app: string;
  buildRun?: string;
  artifact: string[];
  /** True when the output directory of the build was guessed, not seen. */
  outputGuessed: boolean;
  /** Comment lines saying what the artifact holds and why. */
  artifactWhy: string[];
  gates: Array<{ name: string; run: string; needs?: string[] }>;
  runCommand: string;
  health: HealthGuess;
  ports: { staging: number; production: number };
  /** Things the user should fix (e.g. an unpinned install); printed by the CLI and written as comments. */
  warnings: string[];
}

const NPM_PLACEHOLDER_TEST = /no test specified/;
export const DEFAULT_PORTS = { staging: 8081, production: 8080 } as const;

/** An app name slipway.yaml accepts: `@acme/My_Shop` → `my-shop`. */
export function sanitiseAppName(name: string | undefined): string {
  const base = (name ?? '').replace(/^@[^/]*\//, '').toLowerCase();
  return base.replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
}

/** Decides every value of the generated file from package.json, the file listing and the sources. */
export function planInitConfig(pkg: PackageJson, options: InitOptions): InitPlan {
  const files = new Set(options.files.map((f) => f.replace(/\/+$/, '')));
  const script = (name: string) => {
    const s = pkg.scripts?.[name];
    return s !== undefined && s.trim() !== '' && !(name === 'test' && NPM_PLACEHOLDER_TEST.test(s));
  };
  const lockfile = ['package-lock.json', 'npm-shrinkwrap.json'].find((f) => files.has(f));
  const hasDeps = Object.keys(pkg.dependencies ?? {}).length > 0;
  const hasDevDeps = Object.keys(pkg.devDependencies ?? {}).length > 0;
  const hasBuild = script('build');
  const runCommand = script('start') ? 'npm start' : `node ${pkg.main?.replace(/^\.\//, '') ?? 'index.js'}`;
  const warnings: string[] = [];

  // Production artifacts carry no devDependencies: installed for the build, pruned after it.
  let buildRun: string | undefined;
  if (hasBuild) buildRun = `${lockfile ? 'npm ci' : 'npm install'} && npm run build${hasDevDeps ? ' && npm prune --omit=dev' : ''}`;
  else if (hasDeps || hasDevDeps || lockfile) buildRun = `${lockfile ? 'npm ci' : 'npm install'} --omit=dev`;
  if (buildRun !== undefined && !lockfile) {
    warnings.push('no package-lock.json: the build runs `npm install`, which resolves versions afresh at every commit; run `npm install` to create the lockfile, commit it, and `slipway init --force` to build with `npm ci`');
  }

  const choice = chooseArtifact({
    rootEntries: new Set(options.files),
    tracked: options.tracked ?? [],
    hasBuild,
    ...(lockfile ? { lockfile } : {}),
    hasDeps,
    runCommand,
    scripts: pkg.scripts ?? {},
  });

  const gates: InitPlan['gates'] = [];
  if (script('test')) gates.push({ name: 'test', run: 'npm test' });
  if (script('lint')) gates.push({ name: 'lint', run: 'npm run lint', needs: [] });

  return {
    app: sanitiseAppName(pkg.name) || sanitiseAppName(options.dirName) || 'app',
    ...(buildRun !== undefined ? { buildRun } : {}),
    artifact: choice.paths,
    outputGuessed: choice.outputGuessed,
    artifactWhy: choice.why,
    gates,
    runCommand,
    health: detectHealthPath(options.sources ?? []),
    ports: options.ports ?? DEFAULT_PORTS,
    warnings: [...warnings, ...choice.warnings],
  };
}

/** A YAML scalar: plain when that is unambiguous, else double-quoted (JSON strings are valid YAML). */
function scalar(s: string): string {
  return /^[A-Za-z0-9_./@][A-Za-z0-9_./@ &=+,-]*$/.test(s) && !s.endsWith(' ') && !/^(true|false|null|yes|no|on|off|~)$/i.test(s)
    ? s
    : JSON.stringify(s);
}

/**
 * The commented slipway.yaml for a package; it loads through loadConfig with no error.
 * @example renderInitConfig(JSON.parse(readFileSync('package.json', 'utf8')), { files: readdirSync('.') })
 */
export function renderInitConfig(pkg: PackageJson, options: InitOptions): string {
  const plan = planInitConfig(pkg, options);
  const v = DEFAULTS.verify;
  // A line with its comment aligned at column 41, so the file reads as a table of intentions.
  const c = (line: string, comment: string) => `${line.padEnd(40)} # ${comment}`;
  const health = plan.health.foundIn
    ? c(`  health: { path: ${plan.health.path}, interval: ${DEFAULTS.health.interval} }`, `found in ${plan.health.foundIn}; must answer 2xx once ready`)
    : [
        `  # No health route found in the source (looked for ${HEALTH_PATHS.join(', ')}),`,
        '  # so the probe asks for / and wants a 2xx answer. Better: add a cheap route such as /healthz',
        '  # that answers once the app can serve, and set it here.',
        c(`  health: { path: /, interval: ${DEFAULTS.health.interval} }`, 'must answer 2xx once ready'),
      ].join('\n');
  const lines = [
    '# slipway.yaml — how this app is gated, built once, deployed, verified and rolled back.',
    '# Written by `slipway init` from package.json; every key is described in docs/slipway-yaml.md.',
    '# No secret belongs here: run `slipway secrets set <env> <KEY>` and list the name under `secrets:`.',
    ...plan.warnings.map((w) => `# WARNING: ${w}`),
    `app: ${plan.app}`,
    '',
    c('build:', 'runs once per commit, in a clean checkout'),
    ...(plan.buildRun === undefined ? [] : [`  run: ${scalar(plan.buildRun)}`]),
    ...plan.artifactWhy.map((w) => `  # ${w}`),
    `  artifact: [${plan.artifact.map(scalar).join(', ')}]`,
    '',
    c('gates:', 'all must pass before main moves'),
    '  # each gate waits for the build unless `needs` says otherwise',
    ...plan.gates.map((g) => `  ${g.name}: { run: ${scalar(g.run)}${g.needs ? `, needs: [${g.needs.join(', ')}]` : ''} }`),
    c('  secrets: { scan: true }', 'built-in scan of the source tree and the artifact'),
    `  # a false positive? list it in ${ALLOWLIST_FILE} (committed) and write { scan: { allowlist: ${ALLOWLIST_FILE} } }`,
    '  # deps: { audit: { severity: high, database: osv/ } }  # dependency audit, offline OSV database',
    '',
    'run:',
    c(`  command: ${scalar(plan.runCommand)}`, 'PORT is injected; listen on it'),
    health,
    '',
    'environments:',
    '  staging:',
    c(`    port: ${plan.ports.staging}`, 'free on this machine and not used by another Slipway app'),
    c('    deploy: auto', 'every green commit of main'),
    '    strategy: blue-green',
    c('    verify:', 'the defaults, written out; `verify: false` turns it off'),
    c(`      window: ${v.window}`, 'how long the new release is watched'),
    c(`      interval: ${v.interval}`, 'time between two measurements'),
    c(`      failure_limit: ${v.failure_limit}`, 'breaching measurements tolerated'),
    c(`      min_samples: ${v.min_samples}`, 'requests before a measurement counts'),
    c(`      inconclusive: ${v.inconclusive}`, 'too little traffic: extend | fail | probe'),
    `      checks: [${v.checks.join(', ')}]`,
    c('    rollback: auto', 'a failed verification rolls back at once'),
    '  production:',
    c(`    port: ${plan.ports.production}`, 'free on this machine and not used by another Slipway app'),
    c('    promote_from: staging', 'only digests verified in staging'),
    c('    approval: none', 'required: each deployment waits for `slipway approve` by a second person'),
    c(`    strategy: { canary: [${PRODUCTION_CANARY.join(', ')}] }`, `traffic steps; each below 100% is watched ${DEFAULTS.canary.pause} (pause)`),
    ...productionCost().map((l) => `    # ${l}`),
    '    verify:',
    `      window: ${PRODUCTION_WINDOW}`,
    `      interval: ${v.interval}`,
    `      failure_limit: ${v.failure_limit}`,
    `      min_samples: ${v.min_samples}`,
    `      inconclusive: ${v.inconclusive}`,
    '      checks:',
    ...v.checks.map((check) => `        - ${check}`),
    '        - restarts < 1',
    c('        # - compare: baseline', 'canary against stable; needs traffic on both'),
    "        # - { prometheus: 'sum(rate(http_errors_total{release=\"{{release}}\"}[1m]))', below: 1 }",
    c('    rollback: auto', 'manual: a failed verification holds the release until `slipway rollback` or `--continue`'),
  ];
  return `${lines.join('\n')}\n`;
}

/** Where init suggests keeping the secret scan's allowlist: at the root, committed, not under the ignored .slipway/. */
export const ALLOWLIST_FILE = 'slipway-allowlist.yaml';
const PRODUCTION_CANARY = ['10%', '50%', '100%'];
const PRODUCTION_WINDOW = '2m';

/** What the production verification costs in time per release, for the comment above it. */
function productionCost(): string[] {
  const ms = (d: string): number => {
    const r = parseDuration(d);
    return r.ok ? r.value : 0;
  };
  const steps = PRODUCTION_CANARY.length - 1;
  const pause = ms(DEFAULTS.canary.pause);
  const window = ms(PRODUCTION_WINDOW);
  const watched = steps * pause + window;
  return [
    `Time per release: ${PRODUCTION_CANARY.slice(0, -1).map((p) => `${DEFAULTS.canary.pause} at ${p}`).join(', ')}, then the ${PRODUCTION_WINDOW} window at 100%:`,
    `about ${formatMs(watched)} from the first canary to done, up to ${formatMs(steps * pause + 3 * window)} when traffic is too thin to`,
    `judge (a window may be extended twice). Shorter: a smaller window (window: 1m), a shorter pause`,
    `(strategy: { canary: [...], pause: 5s }) or fewer steps, at the price of less evidence per step.`,
  ];
}
