#!/usr/bin/env node
// Runs the compiled tests with node's own test runner: unit tests beside the code
// (dist/src/**/*.test.js) and end-to-end tests (dist/test/e2e/*.test.js); `--system` runs
// the system tests (dist/test/system/*.test.js) that need Debian packages (prometheus, chromium, nginx).
//
// Beyond node's own verdict, the run fails when a test was skipped (or left todo) without being
// allowed by test/skips.txt, or without a reason: a test that cannot run must say so, and only
// the skips written down there may pass CI. Every skip is printed with its reason, and so are
// the slowest files (the sum of their top-level tests' durations).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Files at a time. The e2e files start real processes (control planes, proxies, apps, git) but
// spend most of their time waiting on them: a full run on 2 cores keeps the CPU about a third busy
// at two files at a time. SLIPWAY_TEST_CONCURRENCY overrides the default (a whole number ≥ 1).
const CONCURRENCY = (() => {
  const raw = process.env.SLIPWAY_TEST_CONCURRENCY;
  if (raw === undefined || raw === '') return 2;
  if (!/^[1-9][0-9]?$/.test(raw)) {
    console.error(`SLIPWAY_TEST_CONCURRENCY must be a whole number from 1 to 99, not "${raw}"`);
    process.exit(2);
  }
  return Number(raw);
})();
// node 20's --test-timeout bounds each test FILE (its process), not each test inside it: a file
// that hangs is cancelled and fails instead of stalling the run. The slowest file takes about a
// minute on an idle 2-core machine; the margin is for a loaded one. Each test inside a file has a
// timeout of its own too (5 min, SLIPWAY_TEST_TIMEOUT_MS): scripts/per-test-timeout.mjs, preloaded
// into every file's process, names the test that ran over and fails its file.
const FILE_TIMEOUT_MS = 10 * 60_000;
const PER_TEST_TIMEOUT = join(ROOT, 'scripts/per-test-timeout.mjs');
if (process.env.SLIPWAY_TEST_TIMEOUT_MS !== undefined && !/^[1-9][0-9]*$/.test(process.env.SLIPWAY_TEST_TIMEOUT_MS)) {
  console.error(`SLIPWAY_TEST_TIMEOUT_MS must be a whole number of milliseconds, not "${process.env.SLIPWAY_TEST_TIMEOUT_MS}"`);
  process.exit(2);
}

const system = process.argv.includes('--system');
const roots = system ? ['dist/test/system'] : ['dist/src', 'dist/test/e2e'];
const files = [];
function walk(dir) {
  let names;
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
roots.forEach(walk);
// tsc never deletes: a test whose source was moved or deleted leaves its compiled file in dist/,
// which would run old code against new modules. Such files are left out, and named.
for (const f of files.filter((f) => !existsSync(join(ROOT, f.replace(/^dist[\\/]/, '').replace(/\.js$/, '.ts'))))) {
  console.log(`left out ${f}: its source is gone (a stale build output; \`rm -rf dist && npm run build\` removes it)`);
  files.splice(files.indexOf(f), 1);
}
// The longest files first, so that the two workers end together instead of one finishing a long
// end-to-end file alone while the other has nothing left: the end-to-end files (largest first, a
// fair guess at their length), then the unit tests, which fill the gaps.
const e2e = (f) => f.startsWith(join('dist', 'test'));
const size = (f) => statSync(f).size;
files.sort((a, b) => Number(e2e(b)) - Number(e2e(a)) || (e2e(a) ? size(b) - size(a) : 0));
const filter = process.env.SLIPWAY_TEST_FILTER;
const chosen = filter ? files.filter((f) => f.includes(filter)) : files;
if (chosen.length === 0) {
  if (system && !filter) {
    // The system tests arrive with the capabilities that need them (monitoring, dashboard).
    console.log(`no system tests under ${roots.join(', ')} yet`);
    process.exit(0);
  }
  console.error(`no test files found under ${roots.join(', ')}${filter ? ` matching "${filter}"` : ''}`);
  process.exit(1);
}

/** dist/src/a/b.test.js → src/a/b.test.ts: the name a person reads and test/skips.txt uses. */
const sourceOf = (file) => relative(ROOT, file).replace(/^dist\//, '').replace(/\.js$/, '.ts');

/** test/skips.txt: `<test file> :: <test name> :: <why it may be skipped>`, # comments. */
function allowedSkips() {
  const allowed = new Map();
  const text = readFileSync(join(ROOT, 'test/skips.txt'), 'utf8');
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const parts = t.split(' :: ').map((s) => s.trim());
    if (parts.length !== 3 || parts.some((s) => s === '')) {
      console.error(`test/skips.txt:${i + 1}: expected "<test file> :: <test name> :: <why it may be skipped>", got: ${t}`);
      process.exit(1);
    }
    allowed.set(`${parts[0]} :: ${parts[1]}`, parts[2]);
  });
  return allowed;
}
const allowed = allowedSkips();

const out = mkdtempSync(join(tmpdir(), 'slipway-test-report-'));
const report = join(out, 'report.jsonl');
const r = spawnSync(
  process.execPath,
  [
    '--test',
    `--test-concurrency=${CONCURRENCY}`,
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    `--import=${pathToFileURL(PER_TEST_TIMEOUT).href}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(ROOT, 'scripts/test-reporter.mjs')}`,
    `--test-reporter-destination=${report}`,
    ...chosen,
  ],
  { stdio: 'inherit' },
);
let lines = [];
try {
  lines = readFileSync(report, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
} catch (e) {
  console.error(`the test report ${report} could not be read: ${e.message}`);
  process.exitCode = 1;
}
rmSync(out, { recursive: true, force: true });

const perFile = new Map();
for (const l of lines.filter((x) => x.kind === 'duration')) perFile.set(l.file, (perFile.get(l.file) ?? 0) + l.ms);
const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 15);
const total = [...perFile.values()].reduce((a, b) => a + b, 0);
console.log(`\nslowest files (sum of their top-level tests; all ${perFile.size} files: ${(total / 1000).toFixed(1)} s):`);
for (const [file, ms] of slowest) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${sourceOf(file)}`);

const skips = lines.filter((x) => x.kind === 'skip' || x.kind === 'todo');
let unlisted = 0;
if (skips.length > 0) console.log(`\nskipped or todo (${skips.length}):`);
for (const s of skips) {
  const key = `${sourceOf(s.file)} :: ${s.name}`;
  const ok = s.reason !== '' && allowed.has(key);
  if (!ok) unlisted++;
  const why = s.reason === '' ? 'NO REASON GIVEN' : s.reason;
  console.log(`  ${ok ? 'allowed  ' : 'UNLISTED '} ${s.kind} ${key} — ${why}`);
}
if (unlisted > 0) {
  console.error(`\n${unlisted} test(s) did not run and are not allowed to skip: make them run, or add them with a reason to test/skips.txt (a skip must also give its reason)`);
  process.exitCode = 1;
}
if (r.status !== 0) process.exitCode = 1;
