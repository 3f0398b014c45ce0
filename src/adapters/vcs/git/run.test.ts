// Every git process Slipway starts ignores GIT_* variables it inherits: a hook's GIT_DIR or index
// must not send it to another repository than the one it names.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv, runGit } from './run.js';

const INHERITED = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_QUARANTINE_PATH', 'GIT_CONFIG_PARAMETERS'];

void describe('the git runner policy', () => {
  void test('gitEnv drops every inherited GIT_* variable, keeps the rest, and adds what Slipway passes itself', () => {
    const from = { PATH: '/usr/bin', HOME: '/h', ...Object.fromEntries(INHERITED.map((k) => [k, '/elsewhere'])) };
    const env = gitEnv({ GIT_PROTOCOL: 'version=2' }, from);
    assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/h', GIT_TERMINAL_PROMPT: '0', GIT_PROTOCOL: 'version=2' });
  });

  void test('given GIT_DIR and GIT_INDEX_FILE set in the environment, runGit still works on the repository in cwd', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-git-run-'));
    const saved = { ...process.env };
    try {
      const repo = join(dir, 'repo');
      const other = join(dir, 'other.git');
      execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo]);
      execFileSync('git', ['init', '--quiet', '--bare', other]);
      process.env.GIT_DIR = other;
      process.env.GIT_INDEX_FILE = join(dir, 'stray-index');
      const top = await runGit(['rev-parse', '--absolute-git-dir'], { cwd: repo });
      assert.equal(top.code, 0, top.stderr);
      assert.equal(top.stdout.trim(), join(repo, '.git'));
    } finally {
      for (const k of ['GIT_DIR', 'GIT_INDEX_FILE']) if (saved[k] === undefined) delete process.env[k];
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
