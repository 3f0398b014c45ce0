// Issue 9.1, the non-root mode: Slipway run by an ordinary user confines a step with bubblewrap in a
// user namespace, where the step keeps its own uid. Given a home with a token in it, when a step of
// that user tries to write where the home is (and the sandbox area around its work tree), then
// every attempt fails, while its own work tree stays writable. As root, the test drops to an
// unprivileged uid first (setpriv), so that it runs the non-root path on any machine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.js';
import { SANDBOX_UID } from '../../src/adapters/sandbox/index.js';

/** The ordinary user the test runs Slipway's step as when it is root: no passwd entry, owns nothing else. */
const USER_UID = SANDBOX_UID + 1;
const isRoot = process.getuid?.() === 0;

/** What the step tries: one line `ATTEMPT <what> ok|blocked` each, never what it read. */
const STEP = [
  'attempt() { if eval "$2" >/dev/null 2>&1; then echo "ATTEMPT $1 ok"; else echo "ATTEMPT $1 blocked"; fi; }',
  `attempt write-home 'echo pwned > "$HIDDEN_HOME/pwned"'`,
  `attempt mkdir-home 'mkdir "$HIDDEN_HOME/sub"'`,
  `attempt read-token '[ -n "$(cat "$HIDDEN_HOME/token")" ]'`,
  `attempt write-area 'echo pwned > "$AREA/pwned"'`,
  `attempt write-own-tree 'echo mine > ./mine'`,
  'echo "UID $(id -u)"',
].join('\n');

/**
 * Runs in a node process of its own, as the ordinary user: the real sandbox adapter (mode chosen as
 * in production, `auto`) and the real step executor, and prints what happened as JSON.
 */
const CHILD = `
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox } from ${JSON.stringify(join(ROOT, 'dist/src/adapters/sandbox/index.js'))};
import { createProcessExecutor } from ${JSON.stringify(join(ROOT, 'dist/src/adapters/executor/process/executor.js'))};
const { home, area, command } = JSON.parse(process.env.SANDBOX_TEST);
const sandbox = createSandbox({ dir: area, hideDirs: [home], hideFiles: [] });
const tree = join(sandbox.dir, 'work', 'step-tree');
mkdirSync(tree, { recursive: true });
const lines = [];
const step = createProcessExecutor({ sandbox }).start({
  command, cwd: tree, timeoutMs: 60000, onLine: (_s, l) => lines.push(l),
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HIDDEN_HOME: home, AREA: sandbox.dir },
});
const outcome = await step.done;
process.stdout.write(JSON.stringify({ uid: process.getuid(), mode: sandbox.mode, warning: sandbox.warning, outcome, lines }));
`;

interface ChildReport {
  uid: number;
  mode: string;
  warning: string | null;
  outcome: { ok: boolean };
  lines: string[];
}

/** Runs CHILD as the ordinary user (dropping root with setpriv when the test runs as root). */
const runAsUser = (env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const node = [process.execPath, '--input-type=module', '-e', CHILD];
    const argv = isRoot ? ['setpriv', `--reuid=${USER_UID}`, `--regid=${USER_UID}`, '--clear-groups', '--', ...node] : node;
    const child = spawn(argv[0] ?? 'setpriv', argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

describe('sandbox: the non-root mode (bubblewrap in a user namespace)', () => {
  // Outside /tmp, which the sandbox replaces wholesale: hiding the home must be what is tested.
  let outside: string;
  let home: string;
  let area: string;

  before(() => {
    outside = mkdtempSync('/var/tmp/slipway-nonroot-test-');
    chmodSync(outside, 0o755);
    home = join(outside, 'home');
    area = join(outside, 'sandbox');
    mkdirSync(home, { mode: 0o700 });
    writeFileSync(join(home, 'token'), 'a-token-the-step-must-not-read\n', { mode: 0o600 });
    // The home and the area belong to the user Slipway runs as, as they would on a laptop.
    if (isRoot) for (const p of [home, join(home, 'token')]) chownSync(p, USER_UID, USER_UID);
    if (isRoot) {
      mkdirSync(area, { mode: 0o700 });
      chownSync(area, USER_UID, USER_UID);
    }
  });
  after(() => rmSync(outside, { recursive: true, force: true }));

  test('given Slipway running as an ordinary user, when a step writes where the home is, then it cannot; its own tree stays writable', { timeout: 120_000 }, async () => {
    const r = await runAsUser({ SANDBOX_TEST: JSON.stringify({ home, area, command: STEP }) });
    assert.equal(r.code, 0, `the child failed: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as ChildReport;
    assert.notEqual(report.uid, 0, 'Slipway ran as an ordinary user');
    assert.equal(report.mode, 'bwrap', `bubblewrap must confine an ordinary user's steps here (install bubblewrap, allow user namespaces): ${report.warning ?? ''}`);
    assert.ok(report.outcome.ok, report.lines.join('\n'));
    assert.ok(report.lines.includes(`UID ${report.uid}`), 'the step keeps the user’s uid: only the mounts confine it');

    const attempts: Record<string, string> = {};
    for (const m of report.lines.map((l) => /^ATTEMPT ([\w-]+) (ok|blocked)$/.exec(l))) if (m?.[1] !== undefined && m[2] !== undefined) attempts[m[1]] = m[2];
    assert.deepEqual(attempts, { 'write-home': 'blocked', 'mkdir-home': 'blocked', 'read-token': 'blocked', 'write-area': 'blocked', 'write-own-tree': 'ok' });
    // Nothing reached the real home, and the step's file is in its tree.
    assert.deepEqual(readdirSync(home), ['token']);
    assert.equal(existsSync(join(area, 'pwned')), false);
    assert.ok(existsSync(join(area, 'work', 'step-tree', 'mine')));
  });
});
