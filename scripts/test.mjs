#!/usr/bin/env node
// Runs the compiled tests with node's own test runner: unit tests beside the code
// (dist/src/**/*.test.js) and end-to-end tests (dist/test/e2e/*.test.js); `--system` runs
// the system tests (dist/test/system/*.test.js) that need Debian packages (prometheus, chromium, nginx).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

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
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
