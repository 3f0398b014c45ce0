import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createDependencyCache, MAX_ENTRIES } from './index.js';
import { treeDigest } from './tree-digest.js';

const temp = mkdtempSync(join(tmpdir(), 'slipway-depcache-'));
after(() => rmSync(temp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(temp, `d${++n}`);

/** A small node_modules: a package with a file, an executable and a .bin link. */
const tree = (marker = 'a'): string => {
  const dir = fresh();
  mkdirSync(join(dir, 'pkg', 'bin'), { recursive: true });
  mkdirSync(join(dir, '.bin'));
  writeFileSync(join(dir, 'pkg', 'index.js'), `module.exports = '${marker}';\n`);
  writeFileSync(join(dir, 'pkg', 'bin', 'cli.js'), '#!/usr/bin/env node\n');
  chmodSync(join(dir, 'pkg', 'bin', 'cli.js'), 0o755);
  symlinkSync('../pkg/bin/cli.js', join(dir, '.bin', 'cli'));
  return dir;
};
const key = (c: string): string => c.repeat(64);

void describe('the dependency cache on disk', () => {
  test('a stored tree is restored with the same content, modes and links; the directory is 0700', async () => {
    const dir = fresh();
    const cache = createDependencyCache({ dir, env: {} });
    const source = tree();
    const s = await cache.store(key('a'), source, 'run r1');
    assert.deepEqual([s.stored, s.files], [true, 2]);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal((await cache.store(key('a'), source, 'run r2')).stored, false, 'an existing entry is kept');
    const target = join(fresh(), 'node_modules');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'stale.js'), 'x');
    const r = await cache.restore(key('a'), target);
    assert.deepEqual(r, { ok: true, files: 2, bytes: r.ok ? r.bytes : 0, storedBy: 'run r1' });
    assert.equal((await treeDigest(target)).digest, (await treeDigest(source)).digest, 'what the commit held is replaced');
    assert.equal(statSync(join(target, 'pkg', 'bin', 'cli.js')).mode & 0o777, 0o755);
    assert.deepEqual(await cache.restore(key('b'), join(fresh(), 'node_modules')), { ok: false, reason: 'missing' });
  });

  test('an entry changed after it was stored is refused and removed', async () => {
    const dir = fresh();
    const cache = createDependencyCache({ dir, env: {} });
    await cache.store(key('c'), tree(), 'run r1');
    appendFileSync(join(dir, key('c'), 'node_modules', 'pkg', 'index.js'), 'evil();\n');
    const target = join(fresh(), 'node_modules');
    const r = await cache.restore(key('c'), target);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason === 'tampered' ? r.message : '', /its content has digest sha256:[0-9a-f]{64}, not the sha256:[0-9a-f]{64} recorded/);
    assert.throws(() => readdirSync(target), 'the copy is removed');
    assert.deepEqual(readdirSync(dir).filter((x) => !x.startsWith('.')), [], 'the entry is removed');
  });

  test(`at most ${MAX_ENTRIES} entries are kept, the least recently used dropped`, async () => {
    const dir = fresh();
    const cache = createDependencyCache({ dir, env: {} });
    const keys = ['1', '2', '3', '4'].map(key);
    for (const [i, k] of keys.slice(0, 3).entries()) {
      await cache.store(k, tree(k), 'r');
      const t = new Date(Date.UTC(2026, 0, 1 + i));
      utimesSync(join(dir, k, 'entry.json'), t, t);
    }
    // The oldest is used again: the second becomes the least recently used.
    assert.equal((await cache.restore(keys[0] ?? '', join(fresh(), 'node_modules'))).ok, true);
    const s = await cache.store(keys[3] ?? '', tree(), 'r');
    assert.equal(s.evicted, 1);
    assert.deepEqual(readdirSync(dir).sort(), [keys[0], keys[2], keys[3]].sort());
    assert.match(readFileSync(join(dir, keys[3] ?? '', 'entry.json'), 'utf8'), /"digest": "sha256:/);
  });

  test('a key that is not 64 hex digits is refused', async () => {
    const cache = createDependencyCache({ dir: fresh(), env: {} });
    await assert.rejects(cache.restore('../x', join(fresh(), 'node_modules')), /not a dependency cache key/);
  });
});
