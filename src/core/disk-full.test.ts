import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diskFullError, SlipwayError } from './errors.js';

test('diskFullError: ENOSPC, EDQUOT and SQLITE_FULL become one clear error naming ENOSPC; others are left alone', () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const e = diskFullError(enospc);
  assert.ok(e instanceof SlipwayError);
  assert.equal(e.code, 'unavailable');
  assert.match(e.message, /^the disk is full \(ENOSPC\): ENOSPC: no space left on device, write; /);
  assert.match(e.hint ?? '', /slipway gc/);
  assert.match(diskFullError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))?.message ?? '', /^the disk is full \(ENOSPC, SQLITE_FULL\): database or disk is full/);
  assert.ok(diskFullError(Object.assign(new Error('quota'), { code: 'EDQUOT' })));
  assert.equal(diskFullError(Object.assign(new Error('gone'), { code: 'ENOENT' })), null);
  assert.equal(diskFullError(new SlipwayError('failed', 'ENOSPC')), null);
  assert.equal(diskFullError('ENOSPC'), null);
});
