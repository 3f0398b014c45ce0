// Given a repository served by a control plane, when the review's argument-injection payloads
// come in as refs (`run --ref`, `build --ref`, the API) or as a repository for the merge queue,
// then each is refused with a clear usage error, nothing is recorded and no file is created.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempRepo, git, minimalApp } from './harness.js';

/** The review's payloads: each would create a file named pwned-* in `dir` if git ran it. */
const payloads = (dir: string): string[] => [`--output=${join(dir, 'pwned-output')}`, `--upload-pack=touch ${join(dir, 'pwned-upload-pack')}`];

describe('no argument injection into git', () => {
  let repo: TempRepo;
  let dir: string;
  let api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: { error?: { code: string; message: string } } }>;
  const pwned = (): string[] => readdirSync(dir).filter((f) => f.startsWith('pwned'));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-pwn-'));
    repo = new TempRepo();
    repo.write(minimalApp());
    repo.commit('app');
    const first = await repo.cli(['runs', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const home = join(repo.dir, '.slipway');
    const { port } = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { port: number };
    const token = readFileSync(join(home, 'token'), 'utf8').trim();
    api = async (method, path, body) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as { error?: { code: string; message: string } } };
    };
  });
  after(async () => {
    await repo.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('run --ref and build --ref refuse a ref starting with "-" (exit 2), and record no run', async () => {
    for (const p of payloads(dir)) {
      for (const cmd of ['run', 'build']) {
        const r = await repo.cli([cmd, `--ref=${p}`]);
        assert.equal(r.code, 2, `${cmd} --ref=${p}: ${r.stderr}`);
        assert.match(r.stderr, /is not a ref: a ref cannot start with "-"/);
      }
    }
    assert.deepEqual(JSON.parse((await repo.cli(['runs', '--json'])).stdout), []);
    assert.deepEqual(pwned(), []);
  });

  test('the API refuses the same refs with 400 and code "usage"', async () => {
    for (const p of payloads(dir)) {
      for (const [path, body] of [
        ['/v1/runs', { ref: p }],
        ['/v1/builds', { ref: p }],
        ['/v1/builds', { ref: p, checkReproducible: true }],
      ] as const) {
        const r = await api('POST', path, body);
        assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
        assert.equal(r.body.error?.code, 'usage');
      }
    }
    assert.deepEqual(pwned(), []);
  });

  test('POST /v1/queue takes no repository: a path or an --upload-pack payload is refused, nothing is queued', async () => {
    git(repo.dir, 'checkout', '--quiet', '-b', 'feature');
    const sha = repo.commit('a change');
    git(repo.dir, 'checkout', '--quiet', 'main');
    for (const p of [...payloads(dir), repo.dir]) {
      const r = await api('POST', '/v1/queue', { branch: 'feature', sha, repo: p });
      assert.equal(r.status, 400, p);
      assert.match(r.body.error?.message ?? '', /"repo" is not accepted/);
    }
    for (const branch of payloads(dir)) {
      const r = await api('POST', '/v1/queue', { branch, sha });
      assert.equal(r.status, 400, branch);
    }
    const list = (await api('GET', '/v1/queue')) as unknown as { body: { items: unknown[] } };
    assert.deepEqual(list.body.items, []);
    assert.deepEqual(pwned(), []);
  });
});
