// `slipway server install` as an operator runs it: the unit written with --output is read strictly
// (test/e2e/unit-file.ts, on every machine) and, where systemd-analyze exists, verified by systemd
// itself; the command line it starts runs a server that answers on loopback and stops on SIGTERM;
// a unit that differs is kept unless --force; the default directory is refused to an ordinary user.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from './harness.js';
import { parseUnit, splitExec } from './unit-file.js';
import { waitFor } from '../../src/test-support/wait.js';

const scratch = mkdtempSync(join(tmpdir(), 'slipway-server-install-'));
// A home whose path needs quoting, and specifiers and variables that must mean only themselves.
const home = join(scratch, 'srv dir', 'slip%iway$HOME');
const units = join(scratch, 'units');
const isRoot = process.getuid?.() === 0;
const user = isRoot ? 'root' : (process.env.USER ?? 'nobody');
/** An ordinary uid with no passwd entry, for the refusal of /etc/systemd/system (as in sandbox-nonroot). */
const ORDINARY_UID = 64001;

const install = (args: string[], uid?: number): { code: number | null; stdout: string; stderr: string } => {
  const node = [process.execPath, BIN, 'server', 'install', ...args];
  const argv = uid === undefined ? node : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', ...node];
  const r = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8', cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** `systemd-analyze verify FILE`, when systemd-analyze is on this machine; undefined otherwise. */
const systemdVerify = (file: string): { code: number | null; output: string } | undefined => {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  if (r.error !== undefined && 'code' in r.error && r.error.code === 'ENOENT') return undefined;
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
};

after(() => rmSync(scratch, { recursive: true, force: true }));

describe('slipway server install: the unit on disk', () => {
  const baseArgs = ['--home', home, '--listen', '127.0.0.1:0', '--user', user, '--output', units];
  let text = '';

  test('--output DIR: written 0644, read strictly, verified by systemd where it exists, nothing enabled', (t) => {
    const r = install(baseArgs);
    assert.equal(r.code, 0, r.stderr);
    const file = join(units, 'slipway.service');
    assert.match(r.stdout, new RegExp(`^wrote ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
    assert.match(r.stdout, /nothing was enabled or started/);
    assert.equal(statSync(file).mode & 0o777, 0o644);
    text = readFileSync(file, 'utf8');
    const parsed = parseUnit(text);
    assert.deepEqual(parsed.argv, [process.execPath, join(ROOT, 'bin/slipway.js'), 'server', '--home', home, '--listen', '127.0.0.1:0']);
    assert.deepEqual(parsed.sections.get('Service')?.get('KillMode'), ['process']);
    const verdict = systemdVerify(file);
    if (verdict === undefined) {
      t.diagnostic('systemd-analyze is not on this machine: the unit was checked by the strict reader alone');
    } else {
      // systemd-analyze exits 0 on an unknown key or a bad value and only says so: both must be silent.
      assert.equal(verdict.code, 0, verdict.output);
      assert.equal(verdict.output, '', `systemd-analyze verify said: ${verdict.output}`);
      t.diagnostic('checked by the strict reader and by systemd-analyze verify');
    }
  });

  test('the strict reader refuses what systemd would read otherwise', () => {
    assert.ok(text !== '');
    const broken: [string, RegExp][] = [
      [text.replace(/^KillMode=process$/m, 'KillMod=process'), /KillMod= is not a key of \[Service\]/],
      [text.replace(/^KillMode=process$/m, 'KillMode=none'), /not a value systemd takes for KillMode=/],
      [text.replace(/^Type=exec$/m, 'Type=exec '), /not a value systemd takes for Type=/],
      [text.replace(/^User=.*$/m, 'User=Bad User'), /not a value systemd takes for User=/],
      [`${text}[Unit]\n`, /a second \[Unit\]/],
      [text.slice(0, -1), /does not end with a line break/],
      [text.replace('[Install]\n', ''), /WantedBy= is not a key of \[Service\]/],
      [text.replace(/^(ExecStart=.*)slip%%iway/m, '$1slip%iway'), /a specifier/],
      [text.replace('$$HOME', '$HOME'), /a variable/],
      [text.replace(/ExecStart=(\S+)/, 'ExecStart=node'), /not an absolute path/],
      [text.replace(/"([^"]*)"/, '"$1'), /unbalanced quoting/],
    ];
    for (const [bad, expected] of broken) assert.throws(() => parseUnit(bad), expected);
    assert.deepEqual(splitExec('/bin/x "a b" c\\\\d "e\\"f"'), ['/bin/x', 'a b', 'c\\d', 'e"f']);
  });

  test('the command the unit starts runs the server on loopback; SIGTERM stops it', async () => {
    const argv = parseUnit(text).argv;
    // As systemd starts it: its PATH, the user's HOME, no terminal, cwd /.
    const server = spawn(argv[0] ?? '', argv.slice(1), {
      cwd: '/',
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: scratch, SLIPWAY_SANDBOX_DIR: join(scratch, 'sandbox') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    server.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      const port = await waitFor(() => /listening on 127\.0\.0\.1:(\d+)/.exec(log)?.[1], { what: `the server to listen (log: ${log})` });
      const token = readFileSync(join(home, 'token'), 'utf8').trim();
      const health = (await (await fetch(`http://127.0.0.1:${port}/v1/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as { mode: string; home: string };
      assert.equal(health.mode, 'server');
      assert.equal(health.home, home);
    } finally {
      server.kill('SIGTERM');
    }
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000).unref())]);
    if (code === 'hung') server.kill('SIGKILL');
    assert.equal(code, 0, log);
    assert.ok(existsSync(join(home, 'token')), 'the server made its home');
  });

  test('run again: unchanged; a different unit refused without --force (exit 3, file kept), replaced with it', () => {
    const file = join(units, 'slipway.service');
    const again = install(baseArgs);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^unchanged /);
    const other = [...baseArgs.slice(0, 3), '127.0.0.2:7400', ...baseArgs.slice(4)];
    const refused = install(other);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /exists and differs from the unit this would write; nothing was written/);
    assert.match(refused.stderr, /--force/);
    assert.equal(readFileSync(file, 'utf8'), text);
    const forced = install([...other, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^replaced /);
    assert.match(readFileSync(file, 'utf8'), /--listen 127\.0\.0\.2:7400\n/);
  });

  test('the default /etc/systemd/system, as an ordinary user: refused (exit 4) with the way round, nothing written', () => {
    const target = '/etc/systemd/system/slipway.service';
    const before = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    const r = install(['--home', '/srv/slipway'], isRoot ? ORDINARY_UID : undefined);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /cannot write to \/etc\/systemd\/system \(it needs root\); nothing was written|\/etc\/systemd\/system does not exist: systemd does not seem to be installed here/);
    assert.match(r.stderr, /--output DIR/);
    assert.equal(existsSync(target) ? readFileSync(target, 'utf8') : undefined, before);
  });

  test('a relative --home is refused before anything is written', () => {
    mkdirSync(join(scratch, 'rel'), { recursive: true });
    const r = install(['--home', 'srv/slipway', '--output', join(scratch, 'rel')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--home must be an absolute path in a systemd unit/);
    assert.equal(existsSync(join(scratch, 'rel', 'slipway.service')), false);
  });

  test('--tls-cert/--tls-key: a key that is not the certificate’s is refused before anything is written; the pair is written as given', () => {
    const tls = join(scratch, 'tls');
    mkdirSync(tls, { recursive: true });
    const openssl = (...args: string[]): void => {
      const r = spawnSync('openssl', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
    };
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=box.example.com', '-addext', 'subjectAltName=DNS:box.example.com', '-keyout', join(tls, 'key.pem'), '-out', join(tls, 'cert.pem'));
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(tls, 'other.pem'));
    const out = join(scratch, 'tls-units');
    const refused = install(['--home', home, '--listen', '0.0.0.0:7400', '--tls-cert', join(tls, 'cert.pem'), '--tls-key', join(tls, 'other.pem'), '--output', out]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /does not match|not .*certificate/i);
    assert.equal(existsSync(join(out, 'slipway.service')), false);
    const ok = install(['--home', home, '--listen', '0.0.0.0:7400', '--tls-cert', join(tls, 'cert.pem'), '--tls-key', join(tls, 'key.pem'), '--output', out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(parseUnit(readFileSync(join(out, 'slipway.service'), 'utf8')).argv.slice(5), ['--listen', '0.0.0.0:7400', '--tls-cert', join(tls, 'cert.pem'), '--tls-key', join(tls, 'key.pem')]);
  });
});
