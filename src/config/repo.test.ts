// Finding slipway.yaml in a repository and loading it, with the errors a CLI prints.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { findConfigFile, loadConfig, loadRepoConfig } from './load.js';

function withRepo(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void describe('findConfigFile and loadRepoConfig', () => {
  void test('a missing file is a config error that says to run slipway init', () => {
    withRepo({}, (dir) => {
      assert.throws(
        () => findConfigFile(dir),
        (e: unknown) => e instanceof SlipwayError && e.code === 'config' && /slipway init/.test(e.hint ?? '') && e.message.includes(dir),
      );
      const r = loadConfig(join(dir, 'slipway.yaml'));
      assert.equal(r.errors[0]?.message, 'file not found');
    });
  });

  void test('finds slipway.yml too, and loads a good file from disk', () => {
    withRepo({ 'slipway.yml': 'app: a\nbuild: { artifact: [src/] }\n' }, (dir) => {
      assert.equal(findConfigFile(dir), join(dir, 'slipway.yml'));
      const { config, warnings } = loadRepoConfig(dir);
      assert.equal(config.app, 'a');
      assert.deepEqual(warnings, []);
    });
  });

  void test('a bad file throws one config error listing every problem, with the issues as details', () => {
    withRepo({ 'slipway.yaml': 'app: a\nbuild: { artifact: [../x] }\nfoo: 1\n' }, (dir) => {
      const file = join(dir, 'slipway.yaml');
      assert.throws(
        () => loadRepoConfig(dir),
        (e: unknown) => {
          assert.ok(e instanceof SlipwayError);
          assert.equal(e.code, 'config');
          assert.equal(e.message.split('\n')[0], `${file} has 1 problem:`);
          assert.match(e.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:1 unknown key "foo"`));
          assert.equal((e.details as unknown[]).length, 1);
          return true;
        },
      );
    });
  });
});
