import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKUP_FORMAT_VERSION, checkEntry, kindOfEntryName, missingEntries, parseBackupManifest, type BackupManifest } from './manifest.js';

const HEX = 'a'.repeat(64);
const valid = (): Record<string, unknown> => ({
  format: 'slipway-backup',
  formatVersion: BACKUP_FORMAT_VERSION,
  slipwayVersion: '0.1.0',
  createdAt: '2026-01-01T00:00:00.000Z',
  homeId: '0123456789abcdef',
  schemaVersion: 8,
  secretKeyIds: ['fedcba9876543210'],
  allArtifacts: false,
  counts: { environments: 1, releases: 2, deployments: 2, events: 9, secretVersions: 1, artifacts: 1 },
  entries: [
    { name: 'db/slipway.db', kind: 'database', size: 4096, sha256: HEX },
    { name: `artifacts/sha256/${HEX}`, kind: 'artifact', size: 10, sha256: HEX },
  ],
});
const parsed = (raw: unknown): BackupManifest => {
  const r = parseBackupManifest(raw, '0.1.0');
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.value;
};
const refused = (raw: unknown, re: RegExp): void => {
  const r = parseBackupManifest(raw, '0.1.0');
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.message, re);
};

describe('backup manifest', () => {
  test('a valid one reads back as it is', () => {
    assert.deepEqual(parsed(valid()), valid());
  });

  test('a newer format is refused naming both versions', () => {
    refused({ ...valid(), formatVersion: BACKUP_FORMAT_VERSION + 1, slipwayVersion: '9.0.0' }, new RegExp(`format ${BACKUP_FORMAT_VERSION + 1} by Slipway 9\\.0\\.0; this Slipway 0\\.1\\.0 reads format ${BACKUP_FORMAT_VERSION} and older`));
  });

  test('bad forms are refused, each with what is wrong', () => {
    refused(null, /not a Slipway backup/);
    refused([], /not a Slipway backup/);
    refused({ ...valid(), format: 'tar' }, /not a Slipway backup/);
    refused({ ...valid(), formatVersion: 0 }, /formatVersion/);
    refused({ ...valid(), formatVersion: '1' }, /formatVersion/);
    refused({ ...valid(), homeId: 3 }, /homeId/);
    refused({ ...valid(), secretKeyIds: ['x'] }, /secretKeyIds/);
    refused({ ...valid(), counts: { ...(valid().counts as object), events: -1 } }, /counts/);
    refused({ ...valid(), entries: 'all' }, /no entries/);
    refused({ ...valid(), entries: [] }, /no database/);
  });

  test('entry names are only those a backup holds: no path that could escape the home', () => {
    for (const name of ['../etc/passwd', '/etc/passwd', 'db/../../x', 'artifacts/sha256/../../x', `artifacts/sha256/${HEX}/x`, 'keys/signing.key.bak', 'slipway.db', '', 'db\\slipway.db']) {
      assert.equal(kindOfEntryName(name), undefined, name);
      refused({ ...valid(), entries: [...(valid().entries as object[]), { name, kind: 'artifact', size: 1, sha256: HEX }] }, /not an entry a Slipway backup holds|has no name/);
    }
    refused({ ...valid(), entries: [{ name: 'db/slipway.db', kind: 'artifact', size: 1, sha256: HEX }] }, /kind artifact, not database/);
    refused({ ...valid(), entries: [{ name: 'db/slipway.db', kind: 'database', size: 1.5, sha256: HEX }] }, /malformed size or sha256/);
    refused({ ...valid(), entries: [{ name: 'db/slipway.db', kind: 'database', size: 1, sha256: 'A'.repeat(64) }] }, /malformed size or sha256/);
    const db = (valid().entries as object[])[0];
    refused({ ...valid(), entries: [db, db] }, /lists "db\/slipway\.db" twice/);
  });

  test('checkEntry names the entry whose digest or size differs, and one not listed', () => {
    const m = parsed(valid());
    assert.equal(checkEntry(m, { name: 'db/slipway.db', size: 4096, sha256: HEX }).ok, true);
    const bad = checkEntry(m, { name: 'db/slipway.db', size: 4096, sha256: 'b'.repeat(64) });
    assert.ok(!bad.ok && /entry "db\/slipway\.db" failed its digest/.test(bad.message));
    const short = checkEntry(m, { name: 'db/slipway.db', size: 4000, sha256: HEX });
    assert.ok(!short.ok && /4000 bytes/.test(short.message));
    const extra = checkEntry(m, { name: 'keys/signing.key', size: 1, sha256: HEX });
    assert.ok(!extra.ok && /not listed/.test(extra.message));
    assert.deepEqual(missingEntries(m, new Set(['db/slipway.db'])), [`artifacts/sha256/${HEX}`]);
  });
});
