// scripts/per-test-timeout.mjs, the watchdog scripts/test.mjs preloads into every test file: given a
// file whose second test hangs, when run with a short limit, then the file fails and the watchdog
// names the test that hung (nested under its describe), and the tests that ended in time are not
// touched; given a file whose tests all end in time, then it passes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const WATCHDOG = pathToFileURL(join(ROOT, 'scripts/per-test-timeout.mjs')).href;

function runFile(source: string, limitMs: number): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-watchdog-'));
  try {
    const file = join(dir, 'sample.test.mjs');
    writeFileSync(file, source);
    // NODE_TEST_CONTEXT would make the inner runner report to this one instead of printing.
    const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_TEST_TIMEOUT_MS: String(limitMs) };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, ['--test', `--import=${WATCHDOG}`, '--test-reporter=tap', file], { env, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the per-test timeout', () => {
  test('given a file whose nested second test hangs, when run with a 400 ms limit, then the file fails naming that test', () => {
    const r = runFile(
      [
        "import { describe, test } from 'node:test';",
        "describe('outer', () => {",
        "  test('quick', async () => { await new Promise((r) => setTimeout(r, 10)); });",
        "  test('hangs', () => new Promise(() => { setInterval(() => {}, 1000); }));",
        '});',
      ].join('\n'),
      400,
    );
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /per-test timeout: "outer > hangs" ran over 400 ms/);
    assert.match(r.out, /ok 1 - quick/);
    assert.doesNotMatch(r.out, /per-test timeout: "outer > quick"/);
  });

  test('given a file whose tests each end within the limit, when run, then it passes, however long the file takes in all', () => {
    const r = runFile(
      [
        "import { test } from 'node:test';",
        "for (const n of [1, 2, 3]) test(`t${n}`, async () => { await new Promise((r) => setTimeout(r, 300)); });",
      ].join('\n'),
      600,
    );
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /# pass 3/);
  });
});
