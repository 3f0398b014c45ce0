// Given the review's argument-injection payloads, when they reach the git adapters as refs, paths
// or repositories (as if no check in front had stopped them), then git reads them as names, never
// as options: the command fails and no file is created.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitVcs } from './git.js';
import { fetchRefInto, isAncestor, readRef } from './canonical.js';

/** The payloads of the review, each naming the file it would create in `dir`. */
export const injectionPayloads = (dir: string): string[] => [
  `--output=${join(dir, 'pwned-output')}`,
  `--upload-pack=touch ${join(dir, 'pwned-upload-pack')}`,
  `--upload-pack=sh -c 'touch ${join(dir, 'pwned-sh')}'`,
  `ext::sh -c touch% ${join(dir, 'pwned-ext')}`,
];

describe('git argument injection', () => {
  let dir: string;
  let repo: string;
  let bare: string;
  let sha: string;
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.test' };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-inject-'));
    repo = join(dir, 'work');
    bare = join(dir, 'bare.git');
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo]);
    execFileSync('git', ['commit', '--quiet', '--allow-empty', '-m', 'one'], { cwd: repo, env });
    execFileSync('git', ['init', '--quiet', '--bare', bare]);
    sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const pwned = (): string[] => readdirSync(dir).filter((f) => f.startsWith('pwned'));

  test('a ref that reads as an option resolves to nothing and writes nothing (vcs adapter)', async () => {
    const vcs = createGitVcs();
    for (const p of injectionPayloads(dir)) {
      assert.equal(await vcs.resolve(repo, p), undefined, p);
      assert.equal(await vcs.readFile(repo, p, 'slipway.yaml'), undefined, p);
      assert.equal(await vcs.readFileAtRef(repo, p, 'slipway.yaml', 1000), undefined, p);
    }
    assert.equal((await vcs.resolve(repo, 'HEAD'))?.sha, sha, 'a plain ref still resolves');
    assert.deepEqual(pwned(), []);
  });

  test('a repository or ref that reads as an option is never run (canonical repository commands)', async () => {
    for (const p of injectionPayloads(dir)) {
      const r = await fetchRefInto(bare, p, 'refs/heads/main', 'refs/slipway/incoming/x');
      assert.equal(r.ok, false, p);
      assert.equal(await readRef(bare, p), undefined, p);
      assert.equal(await isAncestor(bare, p, p), false, p);
    }
    assert.deepEqual(pwned(), []);
    assert.ok(!existsSync(join(dir, 'pwned-upload-pack')));
    // A plain local fetch still works under the transport restriction.
    assert.deepEqual(await fetchRefInto(bare, repo, 'refs/heads/main', 'refs/slipway/incoming/x'), { ok: true });
    assert.equal(await readRef(bare, 'refs/slipway/incoming/x'), sha);
  });
});
