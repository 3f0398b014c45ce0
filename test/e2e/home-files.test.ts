// Issue 9.6: tight files whatever the umask. Given a home left readable by others (mode 0755) and a
// umask of 000, when the control plane starts, then the home is 0700 and the database with its
// -wal and -shm is 0600. Given a home another user owns, then the start is refused with the fix.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, TempRepo, minimalApp, type CliResult } from './harness.js';

/** The CLI under `umask 000` (Node cannot set a child's umask: the shell does). */
const cliUmask000 = (repo: TempRepo, args: string[]): Promise<CliResult> =>
  new Promise((resolve) => {
    const child = spawn('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, BIN, ...args], { cwd: repo.dir, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe('files of the home', () => {
  const repos: TempRepo[] = [];
  after(async () => {
    for (const r of repos) await r.dispose();
  });

  test('under umask 000, a home left 0755 is corrected to 0700 and the database files are 0600', { timeout: 120_000 }, async () => {
    const repo = new TempRepo();
    repos.push(repo);
    repo.write(minimalApp()).commit('app');
    const home = join(repo.dir, '.slipway');
    mkdirSync(home);
    chmodSync(home, 0o755);
    const r = await cliUmask000(repo, ['run']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(mode(home), '700');
    const db = readdirSync(home).filter((f) => f.startsWith('slipway.db'));
    assert.deepEqual(db.sort(), ['slipway.db', 'slipway.db-shm', 'slipway.db-wal']);
    for (const f of db) assert.equal(mode(join(home, f)), '600', f);
    assert.equal(mode(join(home, 'token')), '600');
  });

  test('a home another user owns is refused, naming the fix, and left as it was', { timeout: 120_000 }, async () => {
    const repo = new TempRepo();
    repos.push(repo);
    repo.write(minimalApp()).commit('app');
    const home = join(repo.dir, '.slipway');
    mkdirSync(home, { mode: 0o755 });
    chmodSync(home, 0o755);
    if (process.getuid?.() !== 0) {
      // Only root can give a directory away: an ordinary user checks that its own home is kept.
      assert.equal(statSync(home).uid, process.getuid?.());
      return;
    }
    chownSync(home, 65534, 65534);
    const r = await repo.cli(['run']);
    assert.notEqual(r.code, 0);
    // The control plane refuses to start; the CLI points at its log, which says why and the fix.
    assert.match(r.stderr, /the control plane did not start/);
    const log = readFileSync(join(home, 'server.log'), 'utf8');
    assert.match(log, /the Slipway home \S+ belongs to uid 65534, not to this user \(uid 0\)/);
    assert.match(log, /chown -R 0 \S+ && chmod 700/);
    assert.equal(statSync(home).uid, 65534);
    assert.equal(mode(home), '755');
    chownSync(home, 0, 0);
  });
});
