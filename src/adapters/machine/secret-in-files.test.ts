import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSecretInFiles } from './secret-in-files.js';

test('finds a build secret baked into an artifact file, in plain or encoded form; links are not followed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-'));
  try {
    const secret = 'npm_secret_token_value';
    mkdirSync(join(dir, 'dist/sub'), { recursive: true });
    writeFileSync(join(dir, 'dist/a.js'), 'console.log(1)\n');
    writeFileSync(join(dir, 'outside.txt'), secret);
    symlinkSync('../outside.txt', join(dir, 'dist/link.txt'));
    writeFileSync(join(dir, 'package.json'), '{}');
    assert.equal(await findSecretInFiles(dir, ['dist', 'package.json'], [secret]), undefined);
    assert.equal(await findSecretInFiles(dir, ['dist'], []), undefined);
    writeFileSync(join(dir, 'dist/sub/config.json'), JSON.stringify({ token: Buffer.from(`x${secret}`).toString('base64') }));
    assert.equal(await findSecretInFiles(dir, ['dist', 'package.json'], [secret]), 'dist/sub/config.json');
    writeFileSync(join(dir, 'package.json'), `{"t":"${secret}"}`);
    assert.equal(await findSecretInFiles(dir, ['package.json'], [secret]), 'package.json');
    assert.equal(await findSecretInFiles(dir, ['missing'], [secret]), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
