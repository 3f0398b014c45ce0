// `slipway init`: a commented slipway.yaml guessed from package.json and the files at the
// repository root. Pure; the CLI reads package.json and lists the root, then writes the text.

import { DEFAULTS } from './defaults.js';

/** The parts of package.json that init looks at. */
export interface PackageJson {
  name?: string;
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface InitOptions {
  /** Names of the entries at the repository root; directories may be written `dist` or `dist/`. */
  files: readonly string[];
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
  gates: Array<{ name: string; run: string; needs?: string[] }>;
  runCommand: string;
}

const NPM_PLACEHOLDER_TEST = /no test specified/;
const OUTPUT_DIRS = ['dist', 'build', 'out'];
const SOURCE_DIRS = ['src', 'lib', 'app', 'server', 'public', 'static', 'views', 'bin'];

/** An app name slipway.yaml accepts: `@acme/My_Shop` → `my-shop`. */
export function sanitiseAppName(name: string | undefined): string {
  const base = (name ?? '').replace(/^@[^/]*\//, '').toLowerCase();
  return base.replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
}

/** Decides every value of the generated file from package.json and the root listing. */
export function planInitConfig(pkg: PackageJson, options: InitOptions): InitPlan {
  const files = new Set(options.files.map((f) => f.replace(/\/+$/, '')));
  const script = (name: string) => {
    const s = pkg.scripts?.[name];
    return s !== undefined && s.trim() !== '' && !(name === 'test' && NPM_PLACEHOLDER_TEST.test(s));
  };
  const lockfile = ['package-lock.json', 'npm-shrinkwrap.json'].find((f) => files.has(f));
  const hasDeps = Object.keys(pkg.dependencies ?? {}).length > 0;
  const install = lockfile ? 'npm ci' : 'npm install';
  const hasBuild = script('build');

  const artifact: string[] = [];
  let outputGuessed = false;
  if (hasBuild) {
    const seen = OUTPUT_DIRS.find((d) => files.has(d));
    outputGuessed = seen === undefined;
    artifact.push(`${seen ?? 'dist'}/`);
  } else {
    artifact.push(...SOURCE_DIRS.filter((d) => files.has(d)).map((d) => `${d}/`));
    const main = pkg.main?.replace(/^\.\//, '');
    if (main && !main.includes('/') && files.has(main)) artifact.push(main);
    if (files.has('index.js') && main !== 'index.js') artifact.push('index.js');
  }
  artifact.push('package.json');
  if (lockfile) artifact.push(lockfile);
  // node_modules/ exists after the build's install only when there is something to install.
  if (hasDeps) artifact.push('node_modules/');

  const gates: InitPlan['gates'] = [];
  if (script('test')) gates.push({ name: 'test', run: 'npm test' });
  if (script('lint')) gates.push({ name: 'lint', run: 'npm run lint', needs: [] });

  return {
    app: sanitiseAppName(pkg.name) || sanitiseAppName(options.dirName) || 'app',
    ...(hasBuild ? { buildRun: `${install} && npm run build` } : hasDeps || lockfile ? { buildRun: install } : {}),
    artifact,
    outputGuessed,
    gates,
    runCommand: script('start') ? 'npm start' : `node ${pkg.main?.replace(/^\.\//, '') ?? 'index.js'}`,
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
  const lines = [
    '# slipway.yaml — how this app is gated, built once, deployed, verified and rolled back.',
    '# Written by `slipway init` from package.json; every key is described in docs/slipway-yaml.md.',
    '# No secret belongs here: run `slipway secrets set <env> <KEY>` and list the name under `secrets:`.',
    `app: ${plan.app}`,
    '',
    c('build:', 'runs once per commit, in a clean checkout'),
    plan.buildRun === undefined ? '  # no build command: the artifact is the source itself' : `  run: ${scalar(plan.buildRun)}`,
    `  artifact: [${plan.artifact.map(scalar).join(', ')}]`,
    ...(plan.outputGuessed ? ['  # dist/ is a guess at where the build writes; change it if your build writes elsewhere'] : []),
    '',
    c('gates:', 'all must pass before main moves'),
    '  # each gate waits for the build unless `needs` says otherwise',
    ...plan.gates.map((g) => `  ${g.name}: { run: ${scalar(g.run)}${g.needs ? `, needs: [${g.needs.join(', ')}]` : ''} }`),
    c('  secrets: { scan: true }', 'built-in scan of the source tree and the artifact'),
    '  # deps: { audit: { severity: high, database: osv/ } }  # dependency audit, offline OSV database',
    '',
    'run:',
    c(`  command: ${scalar(plan.runCommand)}`, 'PORT is injected; listen on it'),
    c(`  health: { path: ${DEFAULTS.health.path}, interval: ${DEFAULTS.health.interval} }`, 'must answer 200 once ready'),
    '',
    'environments:',
    '  staging:',
    '    port: 8081',
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
    '    port: 8080',
    c('    promote_from: staging', 'only digests verified in staging'),
    c('    approval: none', 'or: required'),
    c('    strategy: { canary: [10%, 50%, 100%] }', 'traffic steps, verified one by one'),
    '    verify:',
    '      window: 2m',
    `      interval: ${v.interval}`,
    `      failure_limit: ${v.failure_limit}`,
    `      min_samples: ${v.min_samples}`,
    `      inconclusive: ${v.inconclusive}`,
    '      checks:',
    ...v.checks.map((check) => `        - ${check}`),
    '        - restarts < 1',
    c('        # - compare: baseline', 'canary against stable; needs traffic on both'),
    "        # - { prometheus: 'sum(rate(http_errors_total{release=\"{{release}}\"}[1m]))', below: 1 }",
    '    rollback: auto',
  ];
  return `${lines.join('\n')}\n`;
}
