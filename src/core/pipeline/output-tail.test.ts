// The quoted tail of a failed step: npm's usage text is dropped, its error kept (outputs of npm 11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureTail, NPM_CI_WITHOUT_LOCKFILE, withoutNpmUsage } from './output-tail.js';

/** `npm ci` in a folder with package.json and no lockfile (the option list shortened). */
const NO_LOCKFILE = [
  "npm error code EUSAGE",
  "npm error",
  "npm error The `npm ci` command can only install with an existing package-lock.json or",
  "npm error npm-shrinkwrap.json with lockfileVersion >= 1. Run an install with npm@5 or",
  "npm error later to generate a package-lock.json file, then try again.",
  "npm error",
  "npm error Clean install a project",
  "npm error",
  "npm error Usage:",
  "npm error npm ci",
  "npm error",
  "npm error Options:",
  "npm error [--install-strategy <hoisted|nested|shallow|linked>] [--legacy-bundling]",
  "npm error [--global-style] [--omit <dev|optional|peer> [--omit <dev|optional|peer> ...]]",
  "npm error [--include <prod|dev|optional|peer> [--include <prod|dev|optional|peer> ...]]",
  "npm error [--strict-peer-deps] [--foreground-scripts] [--ignore-scripts]",
  "npm error",
  "npm error",
  "npm error aliases: clean-install, ic, install-clean, isntall-clean",
  "npm error",
  "npm error Run \"npm help ci\" for more info",
  "npm error A complete log of this run can be found in: /root/.npm/_logs/2026-12-04T16_14_12_190Z-debug-0.log"
];

/** `npm ci` when package.json and package-lock.json disagree. */
const OUT_OF_SYNC = [
  "npm error code EUSAGE",
  "npm error",
  "npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.",
  "npm error",
  "npm error Invalid: lock file's ms@2.1.3 does not satisfy ms@2.1.2",
  "npm error",
  "npm error Clean install a project",
  "npm error",
  "npm error Usage:",
  "npm error npm ci",
  "npm error",
  "npm error Options:",
  "npm error [--install-strategy <hoisted|nested|shallow|linked>] [--legacy-bundling]",
  "npm error [--global-style] [--omit <dev|optional|peer> [--omit <dev|optional|peer> ...]]",
  "npm error aliases: clean-install, ic, install-clean, isntall-clean",
  "npm error",
  "npm error Run \"npm help ci\" for more info",
  "npm error A complete log of this run can be found in: /root/.npm/_logs/2026-12-04T16_14_14_716Z-debug-0.log"
];

test('npm ci without a lockfile: the error and the log path are quoted, not the usage text', () => {
  const tail = failureTail(['> build started', ...NO_LOCKFILE], 12);
  assert.deepEqual(tail, [
    '> build started',
    'npm error code EUSAGE',
    'npm error',
    NO_LOCKFILE[2],
    NO_LOCKFILE[3],
    NO_LOCKFILE[4],
    NO_LOCKFILE.at(-1),
  ]);
  assert.ok(tail.some((l) => NPM_CI_WITHOUT_LOCKFILE.test(l)));
  assert.ok(!tail.some((l) => /Usage:|--install-strategy|Clean install a project|aliases/.test(l)));
});

test('npm ci out of sync with package.json: the reason is kept', () => {
  const tail = withoutNpmUsage(OUT_OF_SYNC);
  assert.ok(tail.some((l) => /Invalid: lock file's ms@2.1.3 does not satisfy ms@2.1.2/.test(l)));
  assert.ok(tail.some((l) => /can only install packages when your package.json and package-lock.json/.test(l)));
  assert.ok(!tail.some((l) => /Usage:|Options:|npm help ci/.test(l)));
});

test('other output is untouched, and only the last lines are kept', () => {
  const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
  assert.deepEqual(failureTail(lines, 12), lines.slice(-12));
  assert.deepEqual(withoutNpmUsage(['Usage: mytool [options]', 'npm error something broke']), ['Usage: mytool [options]', 'npm error something broke']);
});
