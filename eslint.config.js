// Lint with type information: the rules that catch floating promises and unsafe `any` matter
// most in an engine that supervises child processes and sockets.
import tseslint from 'typescript-eslint';

// The layering (docs/architecture.md), enforced: each top folder of src/ may import only the
// folders named here. core is pure; config is the model of slipway.yaml over it; ports are the
// interfaces the engine needs; the engine is written against them, never against an adapter or
// the machine; adapters (and the infrastructure folders beside them) implement ports; the CLI
// and the server wire everything together (src/server/compose*.ts is the composition root). The
// dashboard (web) runs in the browser: it imports nothing of the rest, only the API over HTTP, and
// the server serves its built files without importing them.
const FOLDERS = ['core', 'config', 'ports', 'engine', 'adapters', 'gates', 'secrets', 'home', 'proxy', 'runtime-shim', 'test-support', 'server', 'cli', 'web'];
const INFRA = ['adapters', 'gates', 'secrets', 'home', 'proxy', 'runtime-shim', 'test-support'];
const MAY_IMPORT = {
  core: ['core'],
  config: ['core', 'config'],
  ports: ['core', 'ports'],
  engine: ['core', 'config', 'ports', 'engine'],
  web: ['web'],
  ...Object.fromEntries(INFRA.map((f) => [f, ['core', 'config', 'ports', ...INFRA]])),
};
// The core, the ports and the engine never touch files, sockets or processes: adapters do.
const MACHINE_MODULES = ['fs', 'fs/promises', 'net', 'child_process', 'dgram', 'http', 'https'].flatMap((m) => [m, `node:${m}`]);
// Server modules other than the composition root (compose*.ts, and daemon.ts which starts it)
// reach adapters only through it.
const COMPOSITION_ROOT = ['src/server/compose*.ts', 'src/server/daemon.ts'];

// Nothing imports the dashboard's code: it is the browser's (the server serves its built files).
const NO_WEB = { regex: '^(?:\\.\\./)+web(?:/|\\.js$)', message: 'src/web is the browser’s code: the server serves its built files (dist/web), nothing imports it' };

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One `no-restricted-imports` block per folder and depth: an import climbs `../` once per level
 * to reach src/, so a file `depth` folders below src/<folder> reaches src/<other> as
 * `../` × (depth + 1) + `<other>/…` (or `<other>.js`).
 */
function layering(maxDepth = 6) {
  const blocks = [];
  for (const [folder, allowed] of Object.entries(MAY_IMPORT)) {
    const denied = FOLDERS.filter((f) => !allowed.includes(f));
    for (let depth = 0; depth <= maxDepth; depth++) {
      const up = '(?:\\.\\./){' + (depth + 1) + '}';
      const files = [`src/${folder}/${'*/'.repeat(depth)}*.ts`];
      const patterns = [
        {
          regex: `^${up}(?:${denied.map(escape).join('|')})(?:/|\\.js$)`,
          caseSensitive: true,
          message: `src/${folder} may import only ${allowed.map((f) => `src/${f}`).join(', ')} (docs/architecture.md, "Layers")`,
        },
      ];
      if (folder === 'core' || folder === 'ports' || folder === 'web') {
        // Nothing outside src/ either (the index and version files at its top are the CLI's).
        patterns.push({ caseSensitive: true, regex: `^${up}(?!(?:${allowed.map(escape).join('|')})/)`, message: `src/${folder} imports nothing outside ${allowed.map((f) => `src/${f}`).join(', ')}` });
      }
      const paths = ['core', 'ports', 'engine', 'web'].includes(folder) ? MACHINE_MODULES.map((name) => ({ name, message: folder === 'web' ? 'src/web runs in the browser: it reaches the control plane through its API only' : `src/${folder} reaches files, sockets and processes through a port (src/ports); put this in an adapter` })) : [];
      blocks.push({ files, ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { paths, patterns }] } });
    }
  }
  blocks.push({
    files: ['src/server/**/*.ts'],
    ignores: ['**/*.test.ts', ...COMPOSITION_ROOT],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./adapters/', message: 'server routes reach adapters through the composition root (src/server/compose*.ts)' }, NO_WEB] }],
    },
  });
  blocks.push({ files: [...COMPOSITION_ROOT, 'src/cli/**/*.ts'], ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_WEB] }] } });
  return blocks;
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'examples/', 'coverage/', '**/*.js', '**/*.mjs', '.slipway/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test() and describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  ...layering(),
);
