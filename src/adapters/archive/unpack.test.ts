import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SlipwayError } from '../../core/errors.js';
import { listArchive } from './list.js';
import { packDeterministic } from './pack.js';
import { BLOCK } from './tar-format.js';
import { handTar, tempDir, type HandEntry } from './test-helpers.js';
import { unpackSafe } from './unpack.js';

/** Writes `entries` as a tar, unpacks it, and expects a SlipwayError with `code` matching `pattern`; nothing is left written. */
async function expectRefused(entries: HandEntry[] | Buffer, code: string, pattern: RegExp): Promise<void> {
  const t = tempDir();
  try {
    const file = join(t.dir, 'evil.tar');
    writeFileSync(file, Buffer.isBuffer(entries) ? entries : handTar(entries));
    const dest = join(t.dir, 'dest');
    await assert.rejects(unpackSafe(file, dest), (e: unknown) => {
      assert.ok(e instanceof SlipwayError, String(e));
      assert.equal(e.code, code);
      assert.match(e.message, pattern);
      return true;
    });
    assert.equal(existsSync(dest), false, 'nothing written');
    assert.deepEqual(readdirSync(t.dir), ['evil.tar'], 'nothing written outside');
  } finally {
    t.done();
  }
}

void describe('unpackSafe refuses crafted archives', () => {
  void test('".." in a name', () => expectRefused([{ name: '../evil', data: 'x' }], 'refused', /entry "\.\.\/evil" contains a "\.\." segment/));
  void test('".." hidden in the middle', () => expectRefused([{ name: 'a/../../evil', data: 'x' }], 'refused', /"a\/\.\.\/\.\.\/evil"/));
  void test('an absolute name', () => expectRefused([{ name: '/tmp/evil', data: 'x' }], 'refused', /"\/tmp\/evil" is an absolute path/));
  void test('".." in a PAX path record', () =>
    expectRefused([{ name: 'innocent', data: 'x', pax: [['path', '../../pax-evil']] }], 'refused', /"\.\.\/\.\.\/pax-evil"/));
  void test('a link to an absolute path', () =>
    expectRefused([{ name: 'etc', typeflag: '2', linkname: '/etc' }], 'refused', /entry "etc" is a link that points to the absolute path "\/etc"/));
  void test('a link climbing out', () => expectRefused([{ name: 'a/up', typeflag: '2', linkname: '../..' }], 'refused', /"a\/up" is a link that points outside the root/));
  void test('a file written through a link', () =>
    expectRefused(
      [
        { name: 'd', typeflag: '2', linkname: 'sub' },
        { name: 'sub/', typeflag: '5' },
        { name: 'd/passwd', data: 'x' },
      ],
      'refused',
      /"d\/passwd" lies below the symlink "d"/,
    ));
  void test('a link escaping through another link (b -> ., c -> b/..)', () =>
    expectRefused(
      [
        { name: 'c', typeflag: '2', linkname: 'b/..' },
        { name: 'b', typeflag: '2', linkname: '.' },
      ],
      'refused',
      /"c" is a link that points outside the root/,
    ));
  void test('a hard link', () => expectRefused([{ name: 'h', typeflag: '1', linkname: '/etc/shadow' }], 'refused', /"h" is a hard link/));
  void test('a device', () => expectRefused([{ name: 'dev', typeflag: '3' }], 'refused', /"dev" is a character device/));
  void test('an unknown type', () => expectRefused([{ name: 'g', typeflag: 'L' }], 'refused', /type "L" entry/));
  void test('the same path twice', () =>
    expectRefused(
      [
        { name: 'a', data: 'one' },
        { name: 'a', data: 'two' },
      ],
      'refused',
      /"a" appears twice/,
    ));
  void test('a path below a file', () =>
    expectRefused(
      [
        { name: 'f', data: 'one' },
        { name: 'f/g', data: 'two' },
      ],
      'refused',
      /"f\/g" lies below the file "f"/,
    ));
});

void describe('unpackSafe refuses corrupt archives', () => {
  void test('a flipped header byte fails the checksum', () => {
    const tar = handTar([{ name: 'a', data: 'hello' }]);
    tar[0] = 'b'.charCodeAt(0);
    return expectRefused(tar, 'corrupt', /byte 0: header checksum mismatch/);
  });
  void test('a truncated archive', () => {
    const tar = handTar([{ name: 'a', data: Buffer.alloc(5000, 1) }]);
    return expectRefused(tar.subarray(0, 2048), 'corrupt', /runs past the end/);
  });
  void test('no end-of-archive marker', () => expectRefused(handTar([{ name: 'a', data: 'x' }], { end: false }), 'corrupt', /end-of-archive marker/));
  void test('a malformed PAX record', () => {
    const tar = handTar([{ name: 'a', data: 'x', pax: [['path', 'ok']] }]);
    tar.write('99', BLOCK, 'ascii'); // the record now claims more bytes than it has
    return expectRefused(tar, 'corrupt', /PAX record overruns/);
  });
  void test('a non-octal size', () => {
    const tar = handTar([{ name: 'a', data: 'x' }]);
    const bad = handTar([{ name: 'a', data: 'x' }]);
    bad.write('0000000009x\0', 124, 'ascii');
    // Recompute the checksum so that only the number is wrong.
    bad.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of bad.subarray(0, BLOCK)) sum += b;
    bad.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    assert.notDeepEqual(tar, bad);
    return expectRefused(bad, 'corrupt', /malformed number/);
  });
  void test('garbage', () => expectRefused(Buffer.alloc(1024, 0x41), 'corrupt', /corrupt/));
});

void describe('unpackSafe', () => {
  void test('accepts foreign "./" names and skips the root entry', async () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'a.tar');
      writeFileSync(file, handTar([{ name: './', typeflag: '5' }, { name: './x/', typeflag: '5' }, { name: './x/f', data: 'ok', mode: 0o4755 }]));
      const { entries } = await unpackSafe(file, join(t.dir, 'd'));
      assert.deepEqual(entries.map((e) => e.path), ['x', 'x/f']);
      assert.equal(readFileSync(join(t.dir, 'd/x/f'), 'utf8'), 'ok');
      // setuid is dropped: modes are normalised on the way in too.
      assert.equal(statSync(join(t.dir, 'd/x/f')).mode & 0o7777, 0o755);
    } finally {
      t.done();
    }
  });

  void test('readOnly makes files read-only; a non-empty destination is refused', async () => {
    const t = tempDir();
    try {
      mkdirSync(join(t.dir, 'src/bin'), { recursive: true });
      writeFileSync(join(t.dir, 'src/bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
      writeFileSync(join(t.dir, 'src/data.txt'), 'd');
      const file = join(t.dir, 'a.tar');
      await packDeterministic(join(t.dir, 'src'), ['bin', 'data.txt'], file);
      const dest = join(t.dir, 'd');
      mkdirSync(dest);
      await unpackSafe(file, dest, { readOnly: true });
      assert.equal(statSync(join(dest, 'data.txt')).mode & 0o777, 0o444);
      assert.equal(statSync(join(dest, 'bin/tool')).mode & 0o777, 0o555);
      await assert.rejects(unpackSafe(file, dest), (e: unknown) => e instanceof SlipwayError && e.code === 'conflict' && /not empty/.test(e.message));
      writeFileSync(join(t.dir, 'plain'), '');
      await assert.rejects(unpackSafe(file, join(t.dir, 'plain')), (e: unknown) => e instanceof SlipwayError && e.code === 'conflict');
    } finally {
      t.done();
    }
  });

  void test('listArchive of a missing file is not_found', async () => {
    await assert.rejects(listArchive('/nonexistent/slipway.tar'), (e: unknown) => e instanceof SlipwayError && e.code === 'not_found');
  });
});
