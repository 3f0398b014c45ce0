// A server with many apps over HTTPS (issue 11.2/11.4), as its operator and a laptop use it: the
// API and the git endpoint served over TLS with a self-signed certificate or a PEM pair; `slipway
// login` refusing an unknown certificate (nothing stored, the fingerprint shown) and a wrong pin
// (both fingerprints named), then pinning the right one; every later command and a git push over
// HTTPS; plain HTTP on the TLS port getting no answer; a PEM pair replaced on disk served without a
// restart (and a pinned client refusing it until it logs in again), a pair that does not match kept
// out; a non-loopback address without TLS refused. Everything listens on 127.0.0.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, E2E_STATE_DIR, git, killLeftovers } from './harness.js';
import { laptopCli } from './server-helpers.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { waitFor } from '../../src/test-support/wait.js';

const scratch = mkdtempSync(join(tmpdir(), 'slipway-server-tls-'));
const clone = join(scratch, 'laptop', 'shop');
const config = join(scratch, 'config');
const loginFile = join(config, 'slipway', 'login.json');

interface Server {
  home: string;
  child: ChildProcess;
  url: string;
  port: number;
  log: () => string;
}
const servers: Server[] = [];

/** `slipway server --home DIR --listen 127.0.0.1:0 …`, resolved once it listens over HTTPS. */
const startServer = async (name: string, tlsArgs: string[]): Promise<Server> => {
  const home = join(scratch, name);
  const child = spawn(process.execPath, [BIN, 'server', '--home', home, '--listen', '127.0.0.1:0', ...tlsArgs], {
    env: { ...process.env, SLIPWAY_STATE_DIR: E2E_STATE_DIR, SLIPWAY_HOME: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const port = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${log}`);
      const m = /listening on 127\.0\.0\.1:(\d+) .* over HTTPS \(https:\/\/127\.0\.0\.1:(\d+)\)/.exec(log);
      return m ? Number(m[1]) : undefined;
    },
    { what: `server ${name} to listen over HTTPS`, timeout: 30_000 },
  );
  const s = { home, child, url: `https://127.0.0.1:${port}`, port, log: () => log };
  servers.push(s);
  return s;
};

const stopServer = async (s: Server): Promise<void> => {
  if (s.child.exitCode !== null) return;
  const stopped = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await stopped;
};

/** The CLI on the laptop: its own config directory, no Slipway home anywhere near. */
const cli = laptopCli(config, clone);

/** A certificate for 127.0.0.1 and its key, made by openssl as an operator would. */
const makePair = (dir: string, cn: string): { cert: string; key: string } => {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl: ${r.stderr}`);
  return { cert, key };
};

const fingerprintOf = (cert: string): string => {
  const r = spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', cert], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return `sha256:${(/=([0-9A-F:]+)/.exec(r.stdout)?.[1] ?? '').replace(/:/g, '').toLowerCase()}`;
};

/** What the port answers to a request in clear text: the first bytes, or '' when it closes. */
const plainHttp = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.setTimeout(5000, () => socket.destroy());
    socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
  });

before(() => {
  mkdirSync(clone, { recursive: true });
  git(clone, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(clone, 'slipway.yaml'), ['app: shop', 'run:', '  command: node server.js', 'environments:', '  staging: {}', ''].join('\n'));
  writeFileSync(join(clone, 'server.js'), "require('node:http').createServer((q, s) => s.end('shop')).listen(Number(process.env.PORT), '127.0.0.1');\n");
  git(clone, 'add', '-A');
  git(clone, '-c', 'user.name=Laptop User', '-c', 'user.email=laptop@example.test', 'commit', '--quiet', '-m', 'the shop');
});

after(async () => {
  for (const s of servers) {
    await stopServer(s);
    if (existsSync(join(s.home, 'apps'))) for (const app of readdirSync(join(s.home, 'apps'))) killLeftovers(join(s.home, 'apps', app));
    rmSync(sandboxDirOf(s.home), { recursive: true, force: true });
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe('a server over HTTPS with a self-signed certificate, from a laptop', () => {
  let s: Server;
  let token = '';
  let fingerprint = '';
  before(async () => {
    s = await startServer('self', ['--tls-self-signed']);
    token = readFileSync(join(s.home, 'token'), 'utf8').trim();
    fingerprint = /fingerprint (sha256:[0-9a-f]{64})/.exec(s.log())?.[1] ?? '';
    assert.notEqual(fingerprint, '', `the server prints its fingerprint: ${s.log()}`);
    assert.equal(fingerprint, fingerprintOf(join(s.home, 'tls', 'server.crt')), 'the one of the certificate it made');
  });

  test('login: an unknown certificate is refused with its fingerprint, a wrong pin names both; nothing is stored', async () => {
    const unknown = await cli(['login', s.url], { input: `${token}\n` });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /not publicly trusted/);
    assert.ok(unknown.stderr.includes(fingerprint), unknown.stderr);
    assert.match(unknown.stderr, /nothing was stored/);
    const other = `sha256:${'ab'.repeat(32)}`;
    const wrong = await cli(['login', s.url, '--fingerprint', other], { input: `${token}\n` });
    assert.notEqual(wrong.code, 0);
    assert.ok(wrong.stderr.includes(fingerprint) && wrong.stderr.includes(other), wrong.stderr);
    const malformed = await cli(['login', s.url, '--fingerprint', 'sha256:xyz'], { input: `${token}\n` });
    assert.equal(malformed.code, 2, malformed.stderr);
    const both = await cli(['login', s.url, '--fingerprint', fingerprint, '--ca', join(s.home, 'tls', 'server.crt')], { input: `${token}\n` });
    assert.equal(both.code, 2, both.stderr);
    assert.equal(existsSync(loginFile), false, 'no login was stored');
    assert.ok(!unknown.stderr.includes(token) && !wrong.stderr.includes(token), 'the token is never echoed');
  });

  test('login with the right pin: stored, and every command and a git push go over HTTPS', async () => {
    const r = await cli(['login', s.url, '--fingerprint', fingerprint, '--json'], { input: `${token}\n` });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { fingerprint: string; git: { key: string; file: string } | null };
    assert.equal(out.fingerprint, fingerprint);
    assert.ok(out.git, 'git is told which certificate to trust');
    assert.equal(out.git.key, `http.${s.url}/.sslCAInfo`);
    assert.equal(readFileSync(out.git.file, 'utf8').trim(), readFileSync(join(s.home, 'tls', 'server.crt'), 'utf8').trim());
    const stored = JSON.parse(readFileSync(loginFile, 'utf8')) as { url: string; fingerprint?: string };
    assert.equal(stored.url, s.url);
    assert.equal(stored.fingerprint, fingerprint);

    const created = await cli(['apps', 'create', 'shop']);
    assert.equal(created.code, 0, created.stderr);
    const ls = await cli(['apps', 'ls', '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /"shop"/);

    const remote = `${s.url.replace('https://', `https://laptop:${encodeURIComponent(token)}@`)}/git/shop.git`;
    const pushEnv = gitEnv({ GIT_ASKPASS: '', SSH_ASKPASS: '', GIT_TERMINAL_PROMPT: '0' });
    // Without the certificate git refuses the server (and so sends no token).
    const untrusted = spawnSync('git', ['-c', 'credential.helper=', 'push', remote, 'HEAD:refs/for/main'], { cwd: clone, encoding: 'utf8', env: pushEnv });
    assert.notEqual(untrusted.status, 0);
    assert.match(untrusted.stderr, /certificate|SSL/i);
    // With the line login printed, as a person would set it.
    const trusted = spawnSync('git', ['-c', 'credential.helper=', '-c', `${out.git.key}=${out.git.file}`, 'push', remote, 'HEAD:refs/for/main'], { cwd: clone, encoding: 'utf8', env: pushEnv });
    assert.equal(trusted.status, 0, trusted.stderr);
    // The push reached the app's queue on the server, read back over HTTPS.
    const queue = await cli(['queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    assert.ok(queue.stdout.includes(git(clone, 'rev-parse', 'HEAD').trim()), queue.stdout);
  });

  test('a second server of the same home refuses to start (exit 3, naming the first); the first keeps serving', async () => {
    const second = spawnSync(process.execPath, [BIN, 'server', '--home', s.home, '--listen', '127.0.0.1:0', '--tls-self-signed'], { encoding: 'utf8', env: { ...process.env, SLIPWAY_HOME: '', SLIPWAY_STATE_DIR: E2E_STATE_DIR }, timeout: 30_000 });
    assert.equal(second.status, 3, second.stderr);
    assert.ok(second.stderr.includes(`another control plane (pid ${s.child.pid ?? '?'}) already runs for ${s.home}`), second.stderr);
    assert.equal(s.child.exitCode, null);
    assert.equal((await cli(['apps', 'ls'])).code, 0, 'the first still answers');
  });

  test('plain HTTP on the TLS port gets no answer: a token sent in clear text is never read', async () => {
    const answer = await plainHttp(s.port);
    assert.doesNotMatch(answer, /^HTTP\//, 'no HTTP answer in clear text');
  });
});

describe('a server over HTTPS with a PEM pair that the operator replaces', () => {
  let s: Server;
  let token = '';
  let first = { cert: '', key: '' };
  before(async () => {
    first = makePair(join(scratch, 'pki', 'live'), 'slipway-first');
    s = await startServer('pem', ['--tls-cert', first.cert, '--tls-key', first.key]);
    token = readFileSync(join(s.home, 'token'), 'utf8').trim();
  });

  test('a key that is not the certificate’s is refused at start (exit 2), before anything listens', () => {
    const other = makePair(join(scratch, 'pki', 'other'), 'slipway-other');
    const r = spawnSync(process.execPath, [BIN, 'server', '--home', join(scratch, 'never'), '--listen', '127.0.0.1:0', '--tls-cert', first.cert, '--tls-key', other.key], { encoding: 'utf8', env: { ...process.env, SLIPWAY_HOME: '' }, timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /key/i);
    assert.equal(existsSync(join(scratch, 'never', 'slipway.db')), false, 'no home was made');
  });

  test('a non-loopback address without TLS is refused: tokens never cross a network in clear text', () => {
    const r = spawnSync(process.execPath, [BIN, 'server', '--home', join(scratch, 'never'), '--listen', '0.0.0.0:0'], { encoding: 'utf8', env: { ...process.env, SLIPWAY_HOME: '' }, timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /clear text/);
    assert.equal(existsSync(join(scratch, 'never', 'slipway.db')), false);
  });

  test('replaced on disk: served without a restart; a pinned client refuses it until it logs in again; a broken pair is kept out', async () => {
    const fp1 = fingerprintOf(first.cert);
    const login1 = await cli(['login', s.url, '--fingerprint', fp1], { input: `${token}\n` });
    assert.equal(login1.code, 0, login1.stderr);
    assert.equal((await cli(['apps', 'ls'])).code, 0);

    const next = makePair(join(scratch, 'pki', 'next'), 'slipway-next');
    const fp2 = fingerprintOf(next.cert);
    writeFileSync(first.key, readFileSync(next.key));
    writeFileSync(first.cert, readFileSync(next.cert));
    await waitFor(() => s.log().includes(`now serving it (fingerprint ${fp2}`) || undefined, { what: 'the server to serve the new pair', timeout: 30_000 });
    assert.equal(s.child.exitCode, null, 'the same process serves it');

    const refused = await cli(['apps', 'ls']);
    assert.notEqual(refused.code, 0);
    assert.ok(refused.stderr.includes(fp1) && refused.stderr.includes(fp2), refused.stderr);
    assert.match(refused.stderr, /the token was not sent/);
    const login2 = await cli(['login', s.url, '--fingerprint', fp2], { input: `${token}\n` });
    assert.equal(login2.code, 0, login2.stderr);
    assert.equal((await cli(['apps', 'ls'])).code, 0);

    // A certificate written without its key: it does not load, and the pair before keeps serving.
    const stray = makePair(join(scratch, 'pki', 'stray'), 'slipway-stray');
    writeFileSync(first.cert, readFileSync(stray.cert));
    await waitFor(() => /changed but does not load/.test(s.log()) || undefined, { what: 'the server to refuse the broken pair', timeout: 30_000 });
    assert.equal((await cli(['apps', 'ls'])).code, 0, 'the pair loaded before still serves');
  });
});
