// Preloaded into every test file's process by scripts/test.mjs (`--import`): a per-test timeout.
// Node 20's --test-timeout bounds a whole file's process, not each test in it; this watchdog starts
// a timer before each test (root-level hooks reach every test, nested and concurrent ones too) and,
// when one runs over, names it on stderr and ends the file's process with a failure, so that a hung
// test fails fast and says which one it was instead of stalling the file until its own timeout.
import { afterEach, beforeEach } from 'node:test';

const raw = process.env.SLIPWAY_TEST_TIMEOUT_MS;
const LIMIT_MS = raw !== undefined && /^[1-9][0-9]*$/.test(raw) ? Number(raw) : 5 * 60_000;
const timers = new Map();

beforeEach((t) => {
  const timer = setTimeout(() => {
    process.stderr.write(`per-test timeout: "${t.fullName ?? t.name}" ran over ${LIMIT_MS} ms (SLIPWAY_TEST_TIMEOUT_MS); the file is stopped\n`);
    process.exit(1);
  }, LIMIT_MS);
  timer.unref();
  timers.set(t, timer);
});

afterEach((t) => {
  clearTimeout(timers.get(t));
  timers.delete(t);
});
