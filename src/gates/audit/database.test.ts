// Loading the OSV database from directories and zips, with bad files skipped or fatal, and the
// zip reader on stored, deflated, damaged and ZIP64 archives built here byte by byte.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { indexOsvRecords, loadOsvDatabase, readZip, ZipFormatError, type OsvRecord } from './index.js';

/** Writes a zip: each entry stored or deflated; `zip64` writes the ZIP64 end records. */
function makeZip(files: { name: string; data: Buffer; deflate?: boolean }[], zip64 = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const body = f.deflate === true ? deflateRawSync(f.data) : f.data;
    const name = Buffer.from(f.name);
    const crc = crc32(f.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(f.deflate === true ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(f.deflate === true ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const tail: Buffer[] = [];
  if (zip64) {
    const e64 = Buffer.alloc(56);
    e64.writeUInt32LE(0x06064b50, 0);
    e64.writeBigUInt64LE(44n, 4);
    e64.writeBigUInt64LE(BigInt(files.length), 24);
    e64.writeBigUInt64LE(BigInt(files.length), 32);
    e64.writeBigUInt64LE(BigInt(cd.length), 40);
    e64.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(e64, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : files.length, 8);
  eocd.writeUInt16LE(zip64 ? 0xffff : files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...locals, cd, ...tail, eocd]);
}

const rec = (id: string, name: string, modified = '2024-01-01T00:00:00Z'): OsvRecord => ({
  id,
  modified,
  affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] }],
});
const json = (r: OsvRecord): Buffer => Buffer.from(JSON.stringify(r));

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('loadOsvDatabase from a directory', () => {
  test('reads *.json recursively, ignores other files, indexes npm names', async () => {
    const db = path.join(dir, 'db1');
    mkdirSync(path.join(db, 'npm/2024'), { recursive: true });
    writeFileSync(path.join(db, 'npm/2024/A-1.json'), json(rec('A-1', 'left-pad')));
    writeFileSync(path.join(db, 'B-1.json'), json(rec('B-1', 'right-pad')));
    writeFileSync(path.join(db, 'README.md'), '# not a record');
    const r = await loadOsvDatabase(db);
    assert.ok(r.ok);
    assert.deepEqual(r.db.records.map((x) => x.id).sort(), ['A-1', 'B-1']);
    assert.deepEqual([...r.db.byPackage.keys()].sort(), ['left-pad', 'right-pad']);
    assert.deepEqual(r.warnings, []);
  });

  test('a bad file is named and skipped, or fatal with onBadFile: fail', async () => {
    const db = path.join(dir, 'db2');
    mkdirSync(db);
    writeFileSync(path.join(db, 'good.json'), json(rec('G-1', 'x')));
    writeFileSync(path.join(db, 'broken.json'), '{"id": "X-1",');
    writeFileSync(path.join(db, 'other.json'), '{"name": "not osv"}');
    const skipped = await loadOsvDatabase(db);
    assert.ok(skipped.ok);
    assert.equal(skipped.db.records.length, 1);
    assert.match(skipped.warnings[0] ?? '', /^broken\.json: not valid JSON \(.*\) — skipped$/);
    assert.match(skipped.warnings[1] ?? '', /^other\.json: no "id": not an OSV record — skipped$/);
    const fatal = await loadOsvDatabase(db, { onBadFile: 'fail' });
    assert.equal(fatal.ok, false);
    if (!fatal.ok) {
      assert.equal(fatal.reason, 'bad-file');
      assert.match(fatal.message, /broken\.json: not valid JSON/);
    }
  });

  test('records with a malformed shape are bad files', async () => {
    const db = path.join(dir, 'db3');
    mkdirSync(db);
    writeFileSync(path.join(db, 'a.json'), JSON.stringify({ id: 'Q', affected: {} }));
    writeFileSync(path.join(db, 'b.json'), JSON.stringify({ id: 'R', affected: [{ package: { name: 'x' } }] }));
    writeFileSync(path.join(db, 'c.json'), JSON.stringify({ id: 'S', affected: [{ package: { name: 'x', ecosystem: 'npm' }, ranges: [{ type: 'SEMVER' }] }] }));
    const r = await loadOsvDatabase(db);
    assert.ok(r.ok);
    assert.deepEqual(r.warnings.slice(0, 3), [
      'a.json: "affected" is not a list — skipped',
      'b.json: affected[0].package needs "ecosystem" and "name" — skipped',
      'c.json: affected[0].ranges[0] needs "type" and a list of "events" — skipped',
    ]);
  });

  test('a missing database is a clear error; an empty one a warning', async () => {
    const r = await loadOsvDatabase(path.join(dir, 'nope'));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'missing');
      assert.match(r.message, /OSV database not found at .*nope: point the audit gate's "database" at a directory or zip/);
    }
    mkdirSync(path.join(dir, 'empty'));
    const e = await loadOsvDatabase(path.join(dir, 'empty'));
    assert.ok(e.ok);
    assert.match(e.warnings[0] ?? '', /holds no records, so every package would pass/);
  });
});

describe('loadOsvDatabase from a zip', () => {
  test('stored and deflated entries, non-JSON entries ignored', async () => {
    const file = path.join(dir, 'all.zip');
    writeFileSync(
      file,
      makeZip([
        { name: 'A-1.json', data: json(rec('A-1', 'a')) },
        { name: 'B-1.json', data: json(rec('B-1', 'b')), deflate: true },
        { name: 'notes.txt', data: Buffer.from('x') },
      ]),
    );
    const r = await loadOsvDatabase(file);
    assert.ok(r.ok);
    assert.deepEqual(r.db.records.map((x) => x.id).sort(), ['A-1', 'B-1']);
  });

  test('ZIP64 end records are followed', () => {
    const entries = readZip(makeZip([{ name: 'A.json', data: Buffer.from('{}'), deflate: true }], true));
    assert.deepEqual(entries.map((e) => [e.name, e.read().toString()]), [['A.json', '{}']]);
  });

  test('a damaged entry is named; a file that is not a zip is refused', async () => {
    const zip = makeZip([{ name: 'A-1.json', data: json(rec('A-1', 'a')) }, { name: 'B-1.json', data: json(rec('B-1', 'b')) }]);
    zip[40] = (zip[40] ?? 0) ^ 0xff; // inside A-1.json's data: the CRC no longer matches
    const file = path.join(dir, 'damaged.zip');
    writeFileSync(file, zip);
    const skipped = await loadOsvDatabase(file);
    assert.ok(skipped.ok);
    assert.deepEqual(skipped.db.records.map((x) => x.id), ['B-1']);
    assert.match(skipped.warnings[0] ?? '', /A-1\.json: CRC or size mismatch \(damaged entry\) — skipped/);
    const fatal = await loadOsvDatabase(file, { onBadFile: 'fail' });
    assert.equal(fatal.ok, false);
    const notZip = path.join(dir, 'not.zip');
    writeFileSync(notZip, 'hello, this is not a zip at all');
    const r = await loadOsvDatabase(notZip);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /is not a readable zip: no end-of-central-directory record/);
    assert.throws(() => readZip(Buffer.alloc(5)), ZipFormatError);
  });
});

describe('indexOsvRecords', () => {
  test('a repeated id keeps the record modified last', () => {
    const db = indexOsvRecords([rec('A', 'x', '2024-01-01T00:00:00Z'), rec('A', 'y', '2024-06-01T00:00:00Z'), rec('A', 'z', '2023-01-01T00:00:00Z')]);
    assert.equal(db.records.length, 1);
    assert.deepEqual([...db.byPackage.keys()], ['y']);
  });
});
