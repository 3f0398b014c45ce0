import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeHeader, decodePaxRecords, encodeHeader, encodePaxRecords, entryHeaders, BLOCK } from './tar-format.js';

void describe('tar headers', () => {
  void test('encode then decode gives the fields back', () => {
    const h = encodeHeader({ name: 'dir/file.txt', mode: 0o755, size: 1234, mtime: 1700000000, typeflag: '0' });
    assert.equal(h.length, BLOCK);
    assert.deepEqual(decodeHeader(h), {
      kind: 'header',
      header: { name: 'dir/file.txt', mode: 0o755, size: 1234, mtime: 1700000000, typeflag: '0', linkname: '' },
    });
    assert.equal(h.toString('ascii', 257, 265), 'ustar\u000000');
    assert.equal(h.toString('ascii', 108, 116), '0000000\u0000', 'uid 0');
    assert.equal(h.subarray(265, 329).every((b) => b === 0), true, 'uname and gname empty');
  });

  void test('an all-zero block is the end; a flipped byte is a checksum mismatch', () => {
    assert.deepEqual(decodeHeader(Buffer.alloc(BLOCK)), { kind: 'end' });
    const h = encodeHeader({ name: 'f', mode: 0o644, size: 1, mtime: 0, typeflag: '0' });
    h[1] = 1;
    assert.deepEqual(decodeHeader(h), { kind: 'bad', message: 'header checksum mismatch' });
    assert.deepEqual(decodeHeader(Buffer.alloc(10)), { kind: 'bad', message: 'short header block' });
  });

  void test('short ASCII names need no PAX; long or non-ASCII names and big sizes do', () => {
    assert.equal(entryHeaders({ name: 'a'.repeat(100), mode: 0o644, size: 0, mtime: 0, typeflag: '0' }).length, 1);
    assert.equal(entryHeaders({ name: 'a'.repeat(101), mode: 0o644, size: 0, mtime: 0, typeflag: '0' }).length, 3);
    assert.equal(entryHeaders({ name: 'é', mode: 0o644, size: 0, mtime: 0, typeflag: '0' }).length, 3);
    assert.equal(entryHeaders({ name: 'l', mode: 0o777, size: 0, mtime: 0, typeflag: '2', linkname: 'x'.repeat(150) }).length, 3);
    const big = entryHeaders({ name: 'f', mode: 0o644, size: 0o77777777777 + 1, mtime: 0, typeflag: '0' });
    const records = decodePaxRecords(big[1] as Buffer);
    assert.ok(records instanceof Map);
    assert.equal(records.get('size'), String(0o77777777777 + 1));
  });

  void test('PAX record lengths count themselves, across the digit boundary', () => {
    for (let n = 80; n < 110; n++) {
      const value = 'v'.repeat(n);
      const buf = encodePaxRecords([['path', value]]);
      assert.equal(Number(buf.toString('ascii').split(' ')[0]), buf.length);
      const back = decodePaxRecords(buf);
      assert.ok(back instanceof Map);
      assert.equal(back.get('path'), value);
    }
  });

  void test('malformed PAX records are errors, not exceptions', () => {
    assert.equal(decodePaxRecords(Buffer.from('abc path=x\n')), 'PAX record length "abc" is not a number');
    assert.equal(decodePaxRecords(Buffer.from('50 path=x\n')), 'PAX record overruns its header');
    assert.equal(decodePaxRecords(Buffer.from('8 path\n\n')), 'PAX record without "key="');
    assert.equal(decodePaxRecords(Buffer.from('nospace')), 'PAX record without a length');
  });
});
