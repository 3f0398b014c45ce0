// The artifact never holds Slipway's state directory or a master key file: packing refuses them,
// naming the path, and leaves no partial archive behind.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatMasterKey, generateMasterKey } from '../../secrets/master-key.js';
import { KEY_FILE_HEADER } from '../../core/secrets/records.js';
import { packDeterministic } from './pack.js';
import { tempDir } from './test-helpers.js';

const refused = (path: RegExp) => (e: Error & { code?: string }): boolean => {
  assert.equal(e.code, 'refused');
  assert.match(e.message, path);
  return true;
};

void describe('pack refuses secrets material', () => {
  void test('a .slipway directory anywhere in the packed paths, whether listed or found in a walk', async () => {
    const { dir, done } = tempDir();
    try {
      mkdirSync(join(dir, 'src/.slipway'), { recursive: true });
      writeFileSync(join(dir, 'src/app.js'), 'x\n');
      writeFileSync(join(dir, 'src/.slipway/slipway.db'), 'db');
      const out = join(dir, 'out.tar');
      await assert.rejects(packDeterministic(dir, ['src'], out), refused(/cannot pack "src\/\.slipway": Slipway's state directory/));
      assert.equal(existsSync(out), false, 'no partial archive is left');
      mkdirSync(join(dir, '.slipway'));
      await assert.rejects(packDeterministic(dir, ['.slipway'], out), refused(/"\.slipway"/));
      await assert.rejects(packDeterministic(dir, ['.'], out), refused(/\.slipway/));
      const ok = await packDeterministic(dir, ['src/app.js'], out);
      assert.deepEqual(ok.entries.map((e) => e.path), ['src', 'src/app.js']);
    } finally {
      done();
    }
  });

  void test('a master key file, by its content, whatever its name', async () => {
    const { dir, done } = tempDir();
    try {
      mkdirSync(join(dir, 'dist'));
      writeFileSync(join(dir, 'dist/app.js'), 'x\n');
      writeFileSync(join(dir, 'dist/innocent.txt'), `${KEY_FILE_HEADER} for /somewhere (key id 0123456789abcdef).\n${formatMasterKey(generateMasterKey())}\n`);
      await assert.rejects(packDeterministic(dir, ['dist'], join(dir, 'out.tar')), refused(/cannot pack "dist\/innocent\.txt": it is a Slipway master key file/));
      writeFileSync(join(dir, 'dist/innocent.txt'), `notes about the ${KEY_FILE_HEADER}\n`);
      await packDeterministic(dir, ['dist'], join(dir, 'out.tar'));
    } finally {
      done();
    }
  });
});
