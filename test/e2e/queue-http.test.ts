// Given the control plane serving the canonical repository over git's smart HTTP, when real git
// clients clone and push, then the token is required (401 with a Basic challenge otherwise, and
// nothing changes), main is guarded by the same hook, and refs/for/main queues the change.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { TempRepo } from './harness.js';
import { branch, canonical, canonicalMain, queuedApp, waitFinal } from './queue-helpers.js';
import { gitEnv } from '../../src/adapters/vcs/git/run.js';

const repos: TempRepo[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'slipway-'));
after(async () => {
  for (const r of repos) await r.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

const gitIn = (cwd: string, args: string[], extraEnv: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync('git', ['-c', 'user.name=Pusher', '-c', 'user.email=pusher@example.test', '-c', 'credential.helper=', ...args], {
    cwd,
    encoding: 'utf8',
    env: gitEnv({ GIT_ASKPASS: '', SSH_ASKPASS: '', ...extraEnv }),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

const withCredentials = (url: string, user: string, password: string): string => url.replace('http://', `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);
const refs = (repo: TempRepo): string => spawnSync('git', ['for-each-ref'], { cwd: canonical(repo), encoding: 'utf8', env: gitEnv() }).stdout;

describe('git over HTTP', () => {
  const repo = queuedApp();
  repos.push(repo);
  let url = '';
  let token = '';

  before(async () => {
    const r = await repo.cli(['remote', 'init', '--json']);
    assert.equal(r.code, 0, r.stderr);
    url = (JSON.parse(r.stdout) as { url: string }).url;
    token = readFileSync(join(repo.dir, '.slipway', 'token'), 'utf8').trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/git\/queued-app\.git$/);
  });

  test('without a valid token: 401 with a Basic challenge, and nothing changes', async () => {
    for (const authorization of [undefined, `Basic ${Buffer.from('me:wrong').toString('base64')}`, `Bearer ${token}x`]) {
      const res = await fetch(`${url}/info/refs?service=git-receive-pack`, { headers: authorization ? { authorization } : {} });
      assert.equal(res.status, 401, String(authorization));
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="slipway"');
      assert.match(await res.text(), /token/);
    }
    const before = refs(repo);
    const noToken = gitIn(scratch, ['clone', url, join(scratch, 'no-token')]);
    assert.equal(noToken.status, 128);
    assert.match(noToken.stderr, /could not read Username|Authentication failed/);
    branch(repo, 'unauthorised', { 'src/u.txt': 'u\n' });
    const push = gitIn(repo.dir, ['push', withCredentials(url, 'me', 'wrong-token'), 'unauthorised:refs/for/main']);
    assert.equal(push.status, 128);
    assert.match(push.stderr, /Authentication failed/);
    assert.equal(refs(repo), before);
    const q = JSON.parse((await repo.cli(['queue', '--json'])).stdout) as { items: unknown[] };
    assert.deepEqual(q.items, []);
  });

  test('with the token as password: clone, a push to main is refused by the hook, a push to refs/for/main is queued and merged', async () => {
    const dir = join(scratch, 'clone');
    const clone = gitIn(scratch, ['clone', withCredentials(url, 'alice', token), dir]);
    assert.equal(clone.status, 0, clone.stderr);
    assert.equal(gitIn(dir, ['rev-parse', 'HEAD']).stdout.trim(), canonicalMain(repo));
    // The queue's refs are not advertised to clones.
    assert.equal(gitIn(dir, ['ls-remote', 'origin']).stdout.includes('refs/slipway'), false);
    gitIn(dir, ['checkout', '-q', '-b', 'remote-work']);
    gitIn(dir, ['commit', '-q', '--allow-empty', '-m', 'work done over HTTP']);
    const sha = gitIn(dir, ['rev-parse', 'HEAD']).stdout.trim();
    const main = canonicalMain(repo);
    const direct = gitIn(dir, ['push', 'origin', 'HEAD:main']);
    assert.notEqual(direct.status, 0);
    assert.match(direct.stderr, /remote: main is protected by Slipway/);
    assert.match(direct.stderr, /git push <this remote> HEAD:refs\/for\/main/);
    assert.equal(canonicalMain(repo), main);
    const queued = gitIn(dir, ['push', 'origin', 'HEAD:refs/for/main']);
    assert.equal(queued.status, 0, queued.stderr);
    assert.match(queued.stderr, /remote: slipway: q1 queued: [0-9a-f]{12} \(work done over HTTP\)/);
    const v = await waitFinal(repo, 'q1');
    assert.equal(v.item.state, 'merged');
    assert.equal(v.item.sha, sha);
    const events = JSON.parse((await repo.cli(['events', '--json', '--subject', 'q1'])).stdout) as { kind: string; actor: string }[];
    assert.ok(events.some((e) => e.kind === 'queue.enqueued'));
    const pull = gitIn(dir, ['pull', '-q', 'origin', 'main']);
    assert.equal(pull.status, 0, pull.stderr);
    assert.equal(gitIn(dir, ['rev-parse', 'HEAD']).stdout.trim(), canonicalMain(repo));
  });

  test('a bearer token works too, and gzip request bodies are decoded', async () => {
    const fetched = gitIn(scratch, ['-c', `http.extraHeader=Authorization: Bearer ${token}`, 'ls-remote', url, 'refs/heads/main']);
    assert.equal(fetched.status, 0, fetched.stderr);
    assert.equal(fetched.stdout.split('\t')[0], canonicalMain(repo));
    const main = canonicalMain(repo) ?? '';
    const pkt = (s: string): string => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`;
    const res = await fetch(`${url}/git-upload-pack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-git-upload-pack-request', 'content-encoding': 'gzip' },
      body: gzipSync(`${pkt(`want ${main}\n`)}0000${pkt('done\n')}`),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-git-upload-pack-result');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.subarray(0, 12).toString(), '0008NAK\nPACK');
  });

  test('only the smart protocol of this app is served', async () => {
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await fetch(`${url}/info/refs`, { headers: auth })).status, 403);
    assert.equal((await fetch(`${url}/HEAD`, { headers: auth })).status, 403);
    const other = await fetch(url.replace('queued-app.git', 'other.git') + '/info/refs?service=git-upload-pack', { headers: auth });
    assert.equal(other.status, 404);
    assert.match(await other.text(), /this app's is \/git\/queued-app\.git/);
    const wrongType = await fetch(`${url}/git-receive-pack`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: '0000' });
    assert.equal(wrongType.status, 415);
    // The JSON API keeps its own bearer authentication.
    assert.equal((await fetch(url.replace(/\/git\/.*$/, '/v1/health'))).status, 401);
  });
});
