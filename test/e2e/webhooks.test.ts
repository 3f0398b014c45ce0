// Incoming webhooks against a real server with many apps: a "forge" (a bare repository on disk,
// the app's remote, reached by its path) takes pushes from a developer's clone; signed GitHub push
// deliveries and generic signed pushes make the server fetch the pushed commit into a quarantine
// ref, queue it and merge it. Every bad form — no or wrong signature, a body changed after signing,
// a stale or replayed delivery, an unknown app, a malformed payload, a hostile ref, another event
// or branch, an oversize body, an unreachable remote — gets its status and changes nothing: no
// queue item, no ref of the canonical repository, no delivery remembered. Everything listens on
// 127.0.0.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, E2E_STATE_DIR, git, killLeftovers } from './harness.js';
import { signBody } from '../../src/core/webhooks/signature.js';
import { signAlert } from '../../src/adapters/alerts/auth.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { waitFor } from '../../src/test-support/wait.js';

const scratch = mkdtempSync(join(tmpdir(), 'slipway-webhooks-'));
const srv = join(scratch, 'srv');
const forge = join(scratch, 'forge', 'shop.git');
const clone = join(scratch, 'dev', 'shop');
const canonical = join(srv, 'apps', 'shop', 'repo.git');
const SECRET = 'a5f0c3e1d9b27f64a8e1c0d3b5f7a9e2';
let server: ChildProcess | undefined;
let base = '';
let adminToken = '';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const api = async (method: string, path: string, body?: unknown, token = adminToken): Promise<Answer> => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const deliver = async (path: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> => {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

let deliveries = 0;
/** A GitHub push delivery of `after` to `ref`, signed with `secret` unless told otherwise. */
const githubPush = (after: string, opts: { ref?: string; event?: string; secret?: string; id?: string } = {}) => {
  const body = JSON.stringify({ ref: opts.ref ?? 'refs/heads/main', before: '0'.repeat(40), after, repository: { full_name: 'acme/shop' }, pusher: { name: 'dev' } });
  const id = opts.id ?? `0d1e2f3a-0000-4000-8000-${String(++deliveries).padStart(12, '0')}`;
  return { body, id, headers: { 'x-github-event': opts.event ?? 'push', 'x-github-delivery': id, 'x-hub-signature-256': signBody(opts.secret ?? SECRET, body) } };
};

const GITHUB = '/v1/apps/shop/webhooks/github';
const SIGNED = '/v1/apps/shop/webhooks/signed';

/** What a refused delivery must leave as it was: the canonical repository's refs, the queue, the deliveries. */
const snapshot = async () => ({
  refs: git(canonical, 'for-each-ref', '--format=%(refname) %(objectname)'),
  items: ((await api('GET', '/v1/apps/shop/queue')).body.items as unknown[]).length,
  deliveries: ((await api('GET', '/v1/apps/shop/webhook')).body.deliveries as unknown[]).length,
});

const commitAndPush = (file: string, text: string): string => {
  writeFileSync(join(clone, file), text);
  git(clone, 'add', '-A');
  git(clone, 'commit', '--quiet', '-m', `change ${file}`);
  git(clone, 'push', '--quiet', 'origin', 'HEAD:main');
  return git(clone, 'rev-parse', 'HEAD');
};

const mergedItem = (id: string) =>
  waitFor(
    async () => {
      const item = (await api('GET', `/v1/apps/shop/queue/${id}`)).body.item as { state: string; report?: unknown } | undefined;
      if (item && item.state !== 'queued' && item.state !== 'testing') return item;
      return undefined;
    },
    { what: `queue item ${id} to finish`, timeout: 60_000 },
  );

before(async () => {
  mkdirSync(join(scratch, 'forge'), { recursive: true });
  git(join(scratch, 'forge'), 'init', '--quiet', '--bare', '--initial-branch=main', forge);
  mkdirSync(clone, { recursive: true });
  git(clone, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(clone, 'slipway.yaml'), ['app: shop', 'build:', '  run: mkdir -p dist && cp notes.txt dist/', '  artifact: [dist/]', 'gates:', '  check: { run: "! grep -q BAD notes.txt" }', ''].join('\n'));
  writeFileSync(join(clone, 'notes.txt'), 'first\n');
  git(clone, 'add', '-A');
  git(clone, 'commit', '--quiet', '-m', 'the shop');
  git(clone, 'remote', 'add', 'origin', forge);
  git(clone, 'push', '--quiet', 'origin', 'HEAD:main');

  server = spawn(process.execPath, [BIN, 'server', '--home', srv, '--listen', '127.0.0.1:0'], { env: { ...process.env, SLIPWAY_STATE_DIR: E2E_STATE_DIR }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const port = await waitFor(() => /listening on 127\.0\.0\.1:(\d+)/.exec(log)?.[1], { what: 'the server to listen', timeout: 30_000 });
  base = `http://127.0.0.1:${port}`;
  adminToken = readFileSync(join(srv, 'token'), 'utf8').trim();
  assert.equal((await api('POST', '/v1/apps', { name: 'shop' })).status, 201);
});

after(async () => {
  if (server && server.exitCode === null) {
    const stopped = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await stopped;
  }
  for (const app of readdirSync(join(srv, 'apps'))) killLeftovers(join(srv, 'apps', app));
  killLeftovers(srv); // the server's proxy, shared by its apps, if a deployment started it
  rmSync(sandboxDirOf(srv), { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('incoming webhooks queue commits pushed to a forge', () => {
  test('before a secret is set every delivery is 401; bad remotes and secrets are refused by name and change nothing', async () => {
    const first = githubPush(git(clone, 'rev-parse', 'HEAD'));
    assert.equal((await deliver(GITHUB, first.body, first.headers)).status, 401);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ remote: 'ext::sh -c touch% /tmp/pwned' }, /ext::/],
      [{ remote: '--upload-pack=touch' }, /"-"/],
      [{ remote: 'http://example.test/shop.git' }, /http:\/\/ is refused/],
      [{ remote: 'https://dev:hunter2hunter2@example.test/shop.git' }, /password/],
      [{ remote: 'shop.git' }, /expected/],
      [{ secret_base64: Buffer.from('short').toString('base64') }, /at least 16/],
      [{ secret_base64: 'not base64!' }, /base64/],
      [{}, /nothing to change/],
      [{ remote: forge, extra: 1 }, /"extra" is not accepted/],
    ];
    for (const [body, message] of bad) {
      const r = await api('PUT', '/v1/apps/shop/webhook', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(String((r.body.error as { message: string }).message), message);
    }
    const shown = await api('GET', '/v1/apps/shop/webhook');
    assert.deepEqual([shown.body.remote, shown.body.secret], [null, null]);

    const set = await api('PUT', '/v1/apps/shop/webhook', { remote: forge, secret_base64: Buffer.from(`${SECRET}\n`).toString('base64') });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const after = await api('GET', '/v1/apps/shop/webhook');
    assert.equal((after.body.remote as { url: string }).url, forge);
    assert.equal((after.body.secret as { version: number }).version, 1);
    assert.ok(!JSON.stringify(after.body).includes(SECRET), 'the secret is never shown');
    // Sealed: the database holds no clear copy of it.
    const db = readdirSync(join(srv, 'apps', 'shop')).filter((f) => f.startsWith('slipway.db'));
    for (const f of db) assert.ok(!readFileSync(join(srv, 'apps', 'shop', f)).includes(SECRET), `${f} has no clear secret`);
  });

  test('each bad delivery gets its status and changes nothing', async () => {
    const sha = commitAndPush('notes.txt', 'first\nsecond\n');
    const before = await snapshot();
    const good = githubPush(sha);
    const cases: [string, string, string | Buffer, Record<string, string>, number][] = [
      ['unsigned', GITHUB, good.body, { 'x-github-event': 'push', 'x-github-delivery': 'a1' }, 401],
      ['signed with another secret', GITHUB, good.body, githubPush(sha, { secret: 'another secret entirely!' }).headers, 401],
      ['body changed after signing', GITHUB, good.body.replace('"dev"', '"eve"'), good.headers, 401],
      ['signature without its prefix', GITHUB, good.body, { ...good.headers, 'x-hub-signature-256': good.headers['x-hub-signature-256'].slice(7) }, 401],
      ['an app that is not here', '/v1/apps/nope/webhooks/github', good.body, good.headers, 404],
      ['no delivery id', GITHUB, good.body, { 'x-github-event': 'push', 'x-hub-signature-256': good.headers['x-hub-signature-256'] }, 400],
      ['oversize body', GITHUB, Buffer.alloc(1024 * 1024 + 10, 32), good.headers, 413],
    ];
    const malformed = [
      JSON.stringify({ ref: 'refs/heads/main', after: 'HEAD', repository: { full_name: 'acme/shop' } }),
      JSON.stringify({ ref: 'refs/heads/$(touch /tmp/pwned)', after: sha, repository: { full_name: 'acme/shop' } }),
      JSON.stringify({ ref: '--upload-pack=x', after: sha, repository: { full_name: 'acme/shop' } }),
      '{"ref": ',
      `payload=${encodeURIComponent(good.body)}`,
    ];
    for (const body of malformed) cases.push([`malformed ${body.slice(0, 40)}`, GITHUB, body, { 'x-github-event': 'push', 'x-github-delivery': `m${cases.length}`, 'x-hub-signature-256': signBody(SECRET, body) }, 400]);
    const now = Math.floor(Date.now() / 1000);
    const generic = JSON.stringify({ commit: sha });
    cases.push(['generic, unsigned', SIGNED, generic, {}, 401]);
    cases.push(['generic, stale', SIGNED, generic, signAlert(SECRET, generic, now - 3600), 401]);
    cases.push(['generic, wrong secret', SIGNED, generic, signAlert('another secret entirely!', generic, now), 401]);
    const extra = JSON.stringify({ commit: sha, branch: 'main' });
    cases.push(['generic, unknown field', SIGNED, extra, signAlert(SECRET, extra, now), 400]);
    for (const [what, path, body, headers, status] of cases) {
      const r = await deliver(path, body, headers);
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(typeof (r.body.error as { code?: unknown } | undefined)?.code, 'string', what);
    }
    assert.deepEqual(await snapshot(), before, 'nothing changed');

    // Authentic, but nothing to do: another event, another branch, a deleted main, a hostile ref
    // name. Answered 202 "ignored"; only the delivery is remembered.
    for (const d of [githubPush(sha, { event: 'issues' }), githubPush(sha, { event: 'ping' }), githubPush(sha, { ref: 'refs/heads/feature' }), githubPush('0'.repeat(40)), githubPush(sha, { ref: 'refs/heads/main/../../x' })]) {
      const r = await deliver(GITHUB, d.body, d.headers);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.outcome, 'ignored');
    }
    const later = await snapshot();
    assert.deepEqual([later.refs, later.items, later.deliveries], [before.refs, before.items, before.deliveries + 5]);
  });

  test('a signed GitHub push is fetched, queued and merged; its replay is refused', async () => {
    const sha = git(clone, 'rev-parse', 'HEAD');
    const d = githubPush(sha);
    const r = await deliver(GITHUB, d.body, d.headers);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.outcome, 'queued');
    const item = await mergedItem(String(r.body.item));
    assert.equal(item.state, 'merged', JSON.stringify(item));
    const main = git(canonical, 'rev-parse', 'refs/heads/main');
    git(canonical, 'merge-base', '--is-ancestor', sha, main);
    assert.ok(!git(canonical, 'for-each-ref', 'refs/slipway/incoming').includes('webhook-'), 'the quarantine ref is gone');

    const before = await snapshot();
    const replay = await deliver(GITHUB, d.body, d.headers);
    assert.equal(replay.status, 409, JSON.stringify(replay.body));
    assert.deepEqual(await snapshot(), before);
    const events = (await api('GET', '/v1/apps/shop/events?limit=200')).body;
    assert.ok(JSON.stringify(events).includes('webhook.received'));
  });

  test('a generic signed push is queued and merged; the same signature again is a replay', async () => {
    const sha = commitAndPush('notes.txt', 'first\nsecond\nthird\n');
    const body = JSON.stringify({ commit: sha, ref: 'refs/heads/main' });
    const headers = signAlert(SECRET, body, Math.floor(Date.now() / 1000));
    const r = await deliver(SIGNED, body, headers);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await mergedItem(String(r.body.item))).state, 'merged');
    git(canonical, 'merge-base', '--is-ancestor', sha, git(canonical, 'rev-parse', 'refs/heads/main'));
    const before = await snapshot();
    assert.equal((await deliver(SIGNED, body, headers)).status, 409);
    assert.deepEqual(await snapshot(), before);
  });

  test('an unreachable remote is 503 and forgets the delivery, so that its redelivery works', async () => {
    const sha = commitAndPush('notes.txt', 'first\nsecond\nthird\nfourth\n');
    assert.equal((await api('PUT', '/v1/apps/shop/webhook', { remote: join(scratch, 'gone.git') })).status, 200);
    const before = await snapshot();
    const d = githubPush(sha);
    const r = await deliver(GITHUB, d.body, d.headers);
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.deepEqual(await snapshot(), before);
    assert.equal((await api('PUT', '/v1/apps/shop/webhook', { remote: forge })).status, 200);
    const again = await deliver(GITHUB, d.body, d.headers);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal((await mergedItem(String(again.body.item))).state, 'merged');
  });

  test('slipway apps webhook: the secret from stdin, the remote by flag; the listing shows the URLs and deliveries, never the secret', async () => {
    const cli = (args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: scratch, env: { ...process.env, CI: 'true', XDG_CONFIG_HOME: join(scratch, 'config'), SLIPWAY_STATE_DIR: E2E_STATE_DIR, SLIPWAY_HOME: '', SLIPWAY_SERVER: base, SLIPWAY_TOKEN: adminToken }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.stdin.end(input);
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    const set = await cli(['apps', 'webhook', 'shop', '--secret', '--remote', forge], `${SECRET}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /webhook secret of "shop" set \(version 2\)/);
    const bad = await cli(['apps', 'webhook', 'shop', '--remote', 'ext::sh']);
    assert.equal(bad.code, 2, bad.stderr);
    const shown = await cli(['apps', 'webhook', 'shop']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(shown.stdout.includes(`${base}${GITHUB}`), shown.stdout);
    assert.match(shown.stdout, /secret: +set \(version 2/);
    assert.match(shown.stdout, /queued/);
    assert.ok(!shown.stdout.includes(SECRET) && !set.stdout.includes(SECRET) && !set.stderr.includes(SECRET));
  });
});
