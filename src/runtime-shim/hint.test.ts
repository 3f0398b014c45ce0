import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeHint } from './hint.js';

describe('writeHint', () => {
  const rel = '/srv/box/releases/prod/v3-abc';
  it('names SLIPWAY_DATA_DIR for a write refused beside the code (relative or absolute, EACCES or EROFS, node or shell)', () => {
    for (const line of [
      "Error: EACCES: permission denied, open 'users.json'",
      `Error: EROFS: read-only file system, open '${rel}/db/app.sqlite'`,
      'sh: 1: cannot create notes.txt: Permission denied',
      "touch: cannot touch 'x.txt': Read-only file system",
    ]) {
      const h = writeHint(['starting', line], rel, '/srv/box/data/prod');
      assert.ok(h?.includes('$SLIPWAY_DATA_DIR (/srv/box/data/prod)'), line);
    }
  });
  it('says nothing for a refused write elsewhere or an unrelated error', () => {
    assert.equal(writeHint(["Error: EACCES: permission denied, open '/etc/shadow'"], rel, '/d'), null);
    assert.equal(writeHint(["Error: EACCES: permission denied, open '../../../etc/x'"], rel, '/d'), null);
    assert.equal(writeHint(['Error: listen EADDRINUSE: address already in use'], rel, '/d'), null);
  });
});
