import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SlipwayError } from '../../core/errors.js';
import { listArchive } from './list.js';
import { packDeterministic } from './pack.js';
import { tempDir } from './test-helpers.js';
import { unpackSafe } from './unpack.js';

const LONG = `${'deep-directory-name/'.repeat(6)}a-file-name-that-makes-the-whole-path-longer-than-one-hundred-bytes.txt`;

/** Writes a small tree; `reverse` creates it in the opposite order with other modes and mtimes. */
function makeTree(root: string, reverse: boolean): void {
  const steps: (() => void)[] = [
    () => mkdirSync(join(root, 'app/lib'), { recursive: true }),
    () => writeFileSync(join(root, 'app/index.js'), 'console.log("hi")\n'),
    () => writeFileSync(join(root, 'app/lib/util.js'), 'export const x = 1;\n'),
    () => writeFileSync(join(root, 'app/run.sh'), '#!/bin/sh\necho run\n'),
    () => mkdirSync(join(root, 'app/empty')),
    () => symlinkSync('lib/util.js', join(root, 'app/link.js')),
    () => {
      mkdirSync(join(root, 'app', ...LONG.split('/').slice(0, -1)), { recursive: true });
      writeFileSync(join(root, 'app', LONG), 'long\n');
    },
    () => writeFileSync(join(root, 'app/héllo-wörld-日本.txt'), 'unicode\n'),
  ];
  const oldUmask = process.umask(reverse ? 0o077 : 0o022);
  try {
    for (const s of reverse ? [steps[0], ...steps.slice(1).reverse()] : steps) s?.();
  } finally {
    process.umask(oldUmask);
  }
  chmodSync(join(root, 'app/run.sh'), reverse ? 0o700 : 0o755);
  chmodSync(join(root, 'app/index.js'), reverse ? 0o600 : 0o664);
  const t = reverse ? new Date('2001-02-03T04:05:06Z') : new Date();
  for (const f of ['app/index.js', 'app/lib/util.js', 'app/run.sh', 'app/lib', 'app']) utimesSync(join(root, f), t, t);
}

void describe('packDeterministic', () => {
  void test('same tree, different mtimes, umask, modes and creation order: identical bytes', async () => {
    const a = tempDir();
    const b = tempDir();
    try {
      makeTree(join(a.dir, 'src'), false);
      makeTree(join(b.dir, 'src'), true);
      const ra = await packDeterministic(join(a.dir, 'src'), ['app'], join(a.dir, 'out.tar'));
      const rb = await packDeterministic(join(b.dir, 'src'), ['app'], join(b.dir, 'out.tar'));
      const bytesA = readFileSync(join(a.dir, 'out.tar'));
      assert.deepEqual(bytesA, readFileSync(join(b.dir, 'out.tar')));
      assert.equal(ra.digest, rb.digest);
      assert.equal(ra.digest, `sha256:${createHash('sha256').update(bytesA).digest('hex')}`);
      assert.equal(ra.size, bytesA.length);
      assert.deepEqual(ra.entries, rb.entries);
    } finally {
      a.done();
      b.done();
    }
  });

  void test('manifest: sorted by bytes, explicit dirs, modes normalised, sha256 of each file', async () => {
    const t = tempDir();
    try {
      makeTree(join(t.dir, 'src'), false);
      const r = await packDeterministic(join(t.dir, 'src'), ['app'], join(t.dir, 'out.tar'));
      const paths = r.entries.map((e) => e.path);
      assert.deepEqual(paths, [...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
      const by = new Map(r.entries.map((e) => [e.path, e]));
      assert.deepEqual(by.get('app'), { path: 'app', type: 'dir', size: 0, mode: 0o755 });
      assert.deepEqual(by.get('app/empty'), { path: 'app/empty', type: 'dir', size: 0, mode: 0o755 });
      assert.equal(by.get('app/run.sh')?.mode, 0o755);
      assert.equal(by.get('app/index.js')?.mode, 0o644);
      assert.deepEqual(by.get('app/link.js'), { path: 'app/link.js', type: 'symlink', size: 0, mode: 0o777, target: 'lib/util.js' });
      const util = by.get('app/lib/util.js');
      assert.equal(util?.sha256, createHash('sha256').update('export const x = 1;\n').digest('hex'));
      assert.equal(util?.size, 20);
      assert.ok(by.has(`app/${LONG}`));
      assert.ok(by.has('app/héllo-wörld-日本.txt'));
      assert.equal(r.files, r.entries.filter((e) => e.type === 'file').length);
      assert.equal(r.files, 5);
    } finally {
      t.done();
    }
  });

  void test('GNU tar reads it: long and unicode names, links, modes, mtime 0, owner 0', async () => {
    const t = tempDir();
    try {
      makeTree(join(t.dir, 'src'), false);
      await packDeterministic(join(t.dir, 'src'), ['app'], join(t.dir, 'out.tar'));
      const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', join(t.dir, 'out.tar')], { encoding: 'utf8' });
      assert.match(listing, new RegExp(`-rw-r--r-- 0/0 +5 1970-01-01 00:00:00 app/${LONG.replace(/[.]/g, '\\.')}\n`));
      assert.match(listing, /-rwxr-xr-x 0\/0 +19 1970-01-01 00:00:00 app\/run\.sh/);
      assert.match(listing, /lrwxrwxrwx 0\/0 +0 1970-01-01 00:00:00 app\/link\.js -> lib\/util\.js/);
      assert.match(listing, /drwxr-xr-x 0\/0 +0 1970-01-01 00:00:00 app\/empty\//);
      assert.match(listing, /app\/héllo-wörld-日本\.txt/);
      const out = join(t.dir, 'x');
      mkdirSync(out);
      execFileSync('tar', ['-xf', join(t.dir, 'out.tar'), '-C', out]);
      assert.equal(readFileSync(join(out, 'app', LONG), 'utf8'), 'long\n');
    } finally {
      t.done();
    }
  });

  void test('mtime option sets every entry and changes the digest', async () => {
    const t = tempDir();
    try {
      makeTree(join(t.dir, 'src'), false);
      const zero = await packDeterministic(join(t.dir, 'src'), ['app'], join(t.dir, 'a.tar'));
      const fixed = await packDeterministic(join(t.dir, 'src'), ['app'], join(t.dir, 'b.tar'), { mtime: 1700000000 });
      assert.notEqual(zero.digest, fixed.digest);
      const listing = execFileSync('tar', ['--full-time', '-tvf', join(t.dir, 'b.tar')], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
      for (const line of listing.trim().split('\n')) assert.match(line, /2023-11-14 22:13:20/);
      await assert.rejects(packDeterministic(join(t.dir, 'src'), ['app'], join(t.dir, 'c.tar'), { mtime: -1 }), /mtime/);
    } finally {
      t.done();
    }
  });

  void test('files and directories listed together; parents included; overlaps counted once', async () => {
    const t = tempDir();
    try {
      makeTree(join(t.dir, 'src'), false);
      const r = await packDeterministic(join(t.dir, 'src'), ['app/lib/util.js', 'app/lib', './app/index.js'], join(t.dir, 'o.tar'));
      assert.deepEqual(
        r.entries.map((e) => e.path),
        ['app', 'app/index.js', 'app/lib', 'app/lib/util.js'],
      );
    } finally {
      t.done();
    }
  });

  void test('round trip through unpackSafe keeps content, links, empty dirs and the executable bit', async () => {
    const t = tempDir();
    try {
      makeTree(join(t.dir, 'src'), false);
      const r = await packDeterministic(join(t.dir, 'src'), ['app'], join(t.dir, 'o.tar'));
      const dest = join(t.dir, 'dest');
      await unpackSafe(join(t.dir, 'o.tar'), dest);
      assert.equal(readFileSync(join(dest, 'app/héllo-wörld-日本.txt'), 'utf8'), 'unicode\n');
      assert.equal(readlinkSync(join(dest, 'app/link.js')), 'lib/util.js');
      assert.equal(readFileSync(join(dest, 'app/link.js'), 'utf8'), 'export const x = 1;\n');
      assert.ok(statSync(join(dest, 'app/empty')).isDirectory());
      assert.equal(statSync(join(dest, 'app/run.sh')).mode & 0o777, 0o755);
      assert.equal(statSync(join(dest, 'app/index.js')).mode & 0o777, 0o644);
      // Repacking what was unpacked gives the same artifact.
      const again = await packDeterministic(dest, ['app'], join(t.dir, 'again.tar'));
      assert.equal(again.digest, r.digest);
      assert.deepEqual(await listArchive(join(t.dir, 'o.tar'), { hash: true }), r.entries);
    } finally {
      t.done();
    }
  });
});

void test('packDeterministic streams large files (> 1 MiB) and mixes them with small ones', async () => {
  const t = tempDir();
  try {
    const root = join(t.dir, 'src');
    mkdirSync(root);
    const big = Buffer.alloc(3 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    writeFileSync(join(root, 'big.bin'), big);
    writeFileSync(join(root, 'small.txt'), 'small');
    const r = await packDeterministic(root, ['.'], join(t.dir, 'o.tar'));
    assert.deepEqual(r.entries.map((e) => [e.path, e.size]), [['big.bin', big.length], ['small.txt', 5]]);
    assert.equal(r.entries[0]?.sha256, createHash('sha256').update(big).digest('hex'));
    const dest = join(t.dir, 'd');
    mkdirSync(dest);
    execFileSync('tar', ['-xf', join(t.dir, 'o.tar'), '-C', dest]);
    assert.deepEqual(readFileSync(join(dest, 'big.bin')), big);
    assert.equal(readFileSync(join(dest, 'small.txt'), 'utf8'), 'small');
  } finally {
    t.done();
  }
});

void test('packDeterministic leaves out the archive it is writing when that lies inside the root', async () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, 'a.txt'), 'a');
    const r = await packDeterministic(t.dir, ['.'], join(t.dir, 'out.tar'));
    assert.deepEqual(r.entries.map((e) => e.path), ['a.txt']);
  } finally {
    t.done();
  }
});

void describe('packDeterministic refuses', () => {
  const expectConfig = async (root: string, paths: string[], out: string, pattern: RegExp): Promise<void> => {
    await assert.rejects(packDeterministic(root, paths, out), (e: unknown) => {
      assert.ok(e instanceof SlipwayError, String(e));
      assert.equal(e.code, 'config');
      assert.match(e.message, pattern);
      return true;
    });
  };

  void test('paths that are missing, absolute or escape the root, naming them', async () => {
    const t = tempDir();
    try {
      mkdirSync(join(t.dir, 'root'));
      writeFileSync(join(t.dir, 'secret'), 'x');
      const out = join(t.dir, 'o.tar');
      await expectConfig(join(t.dir, 'root'), ['dist'], out, /"dist" does not exist/);
      await expectConfig(join(t.dir, 'root'), ['../secret'], out, /"\.\.\/secret" contains a "\.\." segment/);
      await expectConfig(join(t.dir, 'root'), ['/etc/passwd'], out, /"\/etc\/passwd" is an absolute path/);
      await expectConfig(join(t.dir, 'nope'), ['x'], out, /is not a directory/);
    } finally {
      t.done();
    }
  });

  void test('links that escape the root, directly, absolutely or through another link', async () => {
    const t = tempDir();
    try {
      const root = join(t.dir, 'root');
      mkdirSync(join(root, 'a'), { recursive: true });
      symlinkSync('../../outside', join(root, 'a/up'));
      await expectConfig(root, ['a'], join(t.dir, 'o.tar'), /symlink "a\/up": it points outside the root/);
      const r2 = join(t.dir, 'r2');
      mkdirSync(r2);
      symlinkSync('/etc/passwd', join(r2, 'abs'));
      await expectConfig(r2, ['abs'], join(t.dir, 'o.tar'), /symlink "abs": it points to the absolute path/);
      const r3 = join(t.dir, 'r3');
      mkdirSync(r3);
      symlinkSync('.', join(r3, 'b'));
      symlinkSync('b/..', join(r3, 'c'));
      await expectConfig(r3, ['c'], join(t.dir, 'o.tar'), /symlink "c": it points outside the root/);
    } finally {
      t.done();
    }
  });

  void test('a path through a symlink, and special files', async () => {
    const t = tempDir();
    try {
      const root = join(t.dir, 'root');
      mkdirSync(join(root, 'real'), { recursive: true });
      writeFileSync(join(root, 'real/f'), 'x');
      symlinkSync('real', join(root, 'alias'));
      await expectConfig(root, ['alias/f'], join(t.dir, 'o.tar'), /passes through "alias", which is a symlink/);
      execFileSync('mkfifo', [join(root, 'real/pipe')]);
      await expectConfig(root, ['real'], join(t.dir, 'o.tar'), /"real\/pipe": only files, directories and symlinks/);
    } finally {
      t.done();
    }
  });
});
