// What `slipway run` loads before its first request: the CLI's entry and the run command, and
// none of the large libraries (the YAML parser, zod, SQLite, undici) that only other paths need.
// Module loading is most of a CLI's own start-up (bench/orchestrator.mjs measures it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module reached by static imports from `entry` (relative ones followed, packages named). */
const staticGraph = (entry: string): { files: Set<string>; packages: Set<string> } => {
  const files = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  walk(entry);
  return { files, packages };
};

void describe('CLI start-up', () => {
  void test('the entry and `slipway run` load no package outside node: (every large library loads lazily where it is used)', () => {
    for (const entry of ['main.js', 'commands/run.js']) {
      const { packages } = staticGraph(resolve(here, entry));
      assert.deepEqual([...packages].filter((p) => !p.startsWith('node:')), [], entry);
    }
  });

  void test('the entry loads no command module: each loads when it runs', () => {
    const { files } = staticGraph(resolve(here, 'main.js'));
    assert.deepEqual([...files].filter((f) => f.includes('/cli/commands/')), []);
  });
});
