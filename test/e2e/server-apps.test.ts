// A Slipway server with two apps, driven as a new user would from a "laptop" directory that has a
// clone of the app and no Slipway home: `slipway login` (the token on stdin), `apps create`, a git
// push to refs/for/main that the server's queue gates and merges, `deploy staging` and `promote
// staging production` from the laptop, `status`/`history` from the laptop; the second app stays
// untouched and hidden from the first app's steps; a token scoped to one app is refused on the
// other; and bad input (app names, login URL and token, a push to a missing app) fails with its
// exit code and changes nothing. Everything listens on 127.0.0.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, E2E_STATE_DIR, git, killLeftovers, type CliResult } from './harness.js';
import { laptopCli } from './server-helpers.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { waitFor } from '../../src/test-support/wait.js';

const scratch = mkdtempSync(join(tmpdir(), 'slipway-server-apps-'));
const srv = join(scratch, 'srv');
const laptop = join(scratch, 'laptop');
const clone = join(laptop, 'shop');
const config = join(scratch, 'config');
let server: ChildProcess | undefined;
let base = '';
let adminToken = '';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });

/** The CLI on the laptop: its own config directory, no Slipway home anywhere near. */
const cli = laptopCli(config, clone);

const ok = async (args: string[], opts: Parameters<typeof cli>[1] = {}): Promise<CliResult> => {
  const r = await cli(args, opts);
  assert.equal(r.code, 0, `slipway ${args.join(' ')}: ${r.stderr}`);
  return r;
};

const push = (app: string, token: string, ref = 'HEAD:refs/for/main'): { status: number | null; stderr: string } => {
  const url = base.replace('http://', `http://laptop:${encodeURIComponent(token)}@`);
  const r = spawnSync('git', ['-c', 'credential.helper=', 'push', `${url}/git/${app}.git`, ref], { cwd: clone, encoding: 'utf8', env: gitEnv({ GIT_ASKPASS: '', SSH_ASKPASS: '', GIT_TERMINAL_PROMPT: '0' }) });
  return { status: r.status, stderr: r.stderr };
};

const appsOnServer = (): string[] => (existsSync(join(srv, 'apps')) ? readdirSync(join(srv, 'apps')).sort() : []);

const get = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/`)).text();

before(async () => {
  mkdirSync(laptop, { recursive: true });
  const [staging, production] = [await freePort(), await freePort()];
  // The app's own repository, as on a laptop: slipway.yaml names the app. Its gate proves that the
  // other app's home is out of its reach: it passes only if blog's database and token cannot be seen.
  mkdirSync(clone);
  git(clone, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(
    join(clone, 'slipway.yaml'),
    [
      'app: shop',
      'build:',
      '  run: mkdir -p dist && cp server.js dist/',
      '  artifact: [dist/]',
      'gates:',
      `  isolation: { run: "test ! -e ${join(srv, 'apps', 'blog', 'slipway.db')} && test ! -e ${join(srv, 'apps', 'blog', 'token')} && test ! -e ${join(srv, 'token')}" }`,
      'run:',
      '  command: node dist/server.js',
      '  health: { path: /healthz, start_timeout: 10s }',
      '  stop_grace: 1s',
      'environments:',
      '  staging:',
      `    port: ${staging}`,
      '    strategy: blue-green',
      '    verify: { window: 1s }',
      '  production:',
      `    port: ${production}`,
      '    promote_from: staging',
      '    strategy: blue-green',
      '    verify: { window: 1s }',
      '',
    ].join('\n'),
  );
  writeFileSync(join(clone, 'server.js'), "require('node:http').createServer((q, s) => s.end(q.url === '/healthz' ? 'ok' : 'hello from shop')).listen(Number(process.env.PORT), '127.0.0.1');\n");
  git(clone, 'add', '-A');
  git(clone, '-c', 'user.name=Laptop User', '-c', 'user.email=laptop@example.test', 'commit', '--quiet', '-m', 'the shop');

  server = spawn(process.execPath, [BIN, 'server', '--home', srv, '--listen', '127.0.0.1:0'], { env: { ...process.env, SLIPWAY_STATE_DIR: E2E_STATE_DIR }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const info = await waitFor(
    () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      return m ? Number(m[1]) : undefined;
    },
    { what: 'the server to listen', timeout: 30_000 },
  );
  base = `http://127.0.0.1:${info}`;
  adminToken = readFileSync(join(srv, 'token'), 'utf8').trim();
});

after(async () => {
  for (const app of appsOnServer()) await cli(['down', '--app', app]);
  if (server && server.exitCode === null) {
    const stopped = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await stopped;
  }
  for (const app of appsOnServer()) killLeftovers(join(srv, 'apps', app));
  killLeftovers(srv); // the server's proxy, shared by its apps, outlives the control plane by design
  rmSync(sandboxDirOf(srv), { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('a server with many apps, driven from a laptop', () => {
  const loginFile = join(config, 'slipway', 'login.json');

  test('login: a wrong URL or a bad token is refused and nothing is stored; the right token is checked, then kept 0600', async () => {
    const nothing = await freePort();
    const wrongUrl = await cli(['login', `http://127.0.0.1:${nothing}`], { input: `${adminToken}\n` });
    assert.equal(wrongUrl.code, 1, wrongUrl.stderr);
    assert.match(wrongUrl.stderr, /not a Slipway server.*nothing was stored/);
    const notUrl = await cli(['login', 'ftp://127.0.0.1/'], { input: `${adminToken}\n` });
    assert.equal(notUrl.code, 2, notUrl.stderr);
    const badToken = await cli(['login', base], { input: 'not-the-token\n' });
    assert.equal(badToken.code, 4, badToken.stderr);
    assert.match(badToken.stderr, /refused the token.*nothing was stored/);
    assert.equal(existsSync(loginFile), false);
    const good = await ok(['login', base], { input: `${adminToken}\n` });
    assert.match(good.stdout, /logged in to http:\/\/127\.0\.0\.1:\d+/);
    assert.equal(statSync(loginFile).mode & 0o777, 0o600);
    assert.equal(existsSync(join(clone, '.slipway')), false, 'the laptop has no Slipway home');
  });

  test('apps: a name that is not a DNS label is refused and nothing is made; two apps are created', async () => {
    for (const bad of ['Shop', '-shop', 'shop-', 'shop_2', 'shop.io', 'x'.repeat(64)]) {
      const r = await cli(['apps', 'create', '--', bad]);
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /invalid app name .*DNS label/);
    }
    // The server refuses it too, whoever asks.
    const raw = await fetch(`${base}/v1/apps`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: '../etc' }) });
    assert.equal(raw.status, 400);
    assert.deepEqual(appsOnServer(), []);
    await ok(['apps', 'create', 'shop']);
    await ok(['apps', 'create', 'blog']);
    const again = await cli(['apps', 'create', 'shop']);
    assert.equal(again.code, 3, again.stderr);
    const listed = JSON.parse((await ok(['apps', 'ls', '--json'])).stdout) as { name: string }[];
    assert.deepEqual(listed.map((a) => a.name), ['blog', 'shop']);
  });

  test('a push to an app that does not exist: 404 with a clear message, and nothing is made', () => {
    const r = push('nope', adminToken);
    assert.equal(r.status, 128);
    assert.match(r.stderr, /no app "nope" on this server/);
    assert.deepEqual(appsOnServer(), ['blog', 'shop']);
  });

  test('push to refs/for/main from the laptop: the queue gates the change on the server (the other app hidden from its steps) and merges it', async () => {
    for (const f of [join(srv, 'apps', 'blog', 'slipway.db'), join(srv, 'apps', 'blog', 'token'), join(srv, 'token')]) assert.ok(existsSync(f), `${f}, which the gate must not see, exists`);
    const r = push('shop', adminToken);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /q1 queued/);
    const item = await waitFor(
      async () => {
        const q = JSON.parse((await ok(['queue', '--json'])).stdout) as { items: { id: string; state: string }[] };
        const i = q.items.find((x) => x.id === 'q1');
        return i && i.state !== 'queued' && i.state !== 'testing' ? i : undefined;
      },
      { what: 'q1 to be merged', timeout: 120_000, interval: 300 },
    );
    assert.equal(item.state, 'merged', JSON.stringify(item));
  });

  test('deploy staging and promote it to production from the laptop; status and history from the laptop', async () => {
    const deployed = await ok(['deploy', 'staging']);
    assert.match(deployed.stdout, /staging is on v1/);
    const status = JSON.parse((await ok(['status', '--json'])).stdout) as { environments: { env: string; url: string | null; current: { digest: string } | null }[] };
    const staging = status.environments.find((e) => e.env === 'staging');
    assert.ok(staging?.current, JSON.stringify(status.environments));
    const port = Number(/:(\d+)/.exec(staging.url ?? '')?.[1]);
    assert.equal(await get(port), 'hello from shop');
    await ok(['promote', 'staging', 'production']);
    const history = JSON.parse((await ok(['history', 'production', '--json'])).stdout) as { trigger: string; status: string; digest: string }[];
    assert.equal(history[0]?.trigger, 'promote');
    assert.equal(history[0]?.status, 'succeeded');
    assert.equal(history[0]?.digest, staging.current.digest);
  });

  test('the second app is unaffected: no runs, no deployments, its environments untouched', async () => {
    const runs = JSON.parse((await ok(['runs', '--json', '--app', 'blog'])).stdout) as unknown[];
    assert.deepEqual(runs, []);
    const status = JSON.parse((await ok(['status', '--json', '--app', 'blog'])).stdout) as { environments: unknown[]; lastRun?: unknown };
    assert.deepEqual(status.environments, []);
    assert.equal(status.lastRun, undefined);
    const history = await cli(['history', 'staging', '--app', 'blog']);
    assert.equal(history.code, 2);
    assert.match(history.stderr, /nothing was deployed/);
  });

  test('a token scoped to one app is refused (403, exit 4) on the other, by the API and by git', async () => {
    const created = await ok(['tokens', 'create', '--name', 'shop-ci', '--role', 'deploy', '--app', 'shop']);
    const token = created.stdout.trim();
    const env = { SLIPWAY_SERVER: base, SLIPWAY_TOKEN: token };
    const own = await cli(['status', '--json'], { env });
    assert.equal(own.code, 0, own.stderr);
    const other = await cli(['status', '--app', 'blog'], { env });
    assert.equal(other.code, 4, other.stderr);
    assert.match(other.stderr, /scoped to the app "shop", not "blog"/);
    const create = await cli(['apps', 'create', 'evil'], { env });
    assert.equal(create.code, 4, create.stderr);
    const pushed = push('blog', token);
    assert.notEqual(pushed.status, 0);
    assert.match(pushed.stderr, /scoped to the app "shop"/);
    const listed = JSON.parse((await ok(['apps', 'ls', '--json'], { env })).stdout) as { name: string }[];
    assert.deepEqual(listed.map((a) => a.name), ['shop']);
    assert.deepEqual(appsOnServer(), ['blog', 'shop']);
  });

  test('apps rm asks for --yes, then removes the app and everything it kept; logout forgets the server', async () => {
    const unconfirmed = await cli(['apps', 'rm', 'blog']);
    assert.equal(unconfirmed.code, 2);
    assert.deepEqual(appsOnServer(), ['blog', 'shop']);
    await ok(['apps', 'rm', 'blog', '--yes']);
    assert.deepEqual(appsOnServer(), ['shop']);
    await ok(['logout']);
    assert.equal(existsSync(loginFile), false);
    // Back in local mode, --app is refused rather than ignored.
    const local = await cli(['status', '--app', 'shop']);
    assert.equal(local.code, 2);
    await ok(['login', base], { input: `${adminToken}\n` });
  });
});
