// Issue 15.3: a home for app data. Given an app that writes a file, when it writes beside its code
// (its release directory, read-only to it also when Slipway runs as root), then its start fails at
// once with a message naming SLIPWAY_DATA_DIR; when it writes under SLIPWAY_DATA_DIR, then what it
// wrote is still there after a new release, a rollback, and `slipway down` / `up`.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TempRepo } from './harness.js';
import { envStatus, get } from './deploy-harness.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { SANDBOX_UID } from '../../src/adapters/sandbox/index.js';

const yaml = (write: string): string =>
  [
    'app: notes',
    'build:',
    '  run: mkdir -p dist && cp server.mjs note.txt dist/',
    '  artifact: [dist/]',
    'run:',
    '  command: node dist/server.mjs',
    '  health: { path: /, start_timeout: 20s }',
    'environments:',
    '  staging:',
    '    verify: false',
    `    env: { SLIPWAY_TEST_WRITE: ${write} }`,
    '',
  ].join('\n');

describe('SLIPWAY_DATA_DIR', () => {
  const repo = new TempRepo('slipway-data-');
  after(() => repo.dispose());
  cpSync(join(ROOT, 'test/e2e/fixtures/sandbox/server.mjs'), join(repo.dir, 'server.mjs'));

  const ship = async (write: string, note: string): Promise<{ code: number; out: string }> => {
    repo.write({ 'slipway.yaml': yaml(write), 'note.txt': note }).commit(note);
    const run = await repo.cli(['run']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const r = await repo.cli(['deploy', 'staging']);
    return { code: r.code, out: r.stdout + r.stderr };
  };
  const data = async (): Promise<string[]> => {
    const s = await envStatus(repo, 'staging');
    return (await get(`${s.url ?? ''}data`)).body.split('\n').filter((l) => l !== '');
  };

  test('an app that writes beside its code fails its start at once, naming SLIPWAY_DATA_DIR', { timeout: 180_000 }, async () => {
    const r = await ship('beside', 'writes beside its code');
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /E(ACCES|ROFS).*notes\.txt/);
    assert.match(r.out, /fix: the release directory is read-only to the app: write files under \$SLIPWAY_DATA_DIR/);
  });

  test('data written under SLIPWAY_DATA_DIR survives a new release, a rollback, and down / up', { timeout: 300_000 }, async () => {
    const first = await ship('data', 'writes its data where it belongs');
    assert.equal(first.code, 0, first.out);
    const [a] = await data();
    assert.match(a ?? '', /^v\d+$/);
    // Outside the home, and the sandbox user's when Slipway runs as root.
    const dir = statSync(join(sandboxDirOf(join(repo.dir, '.slipway')), 'data', 'staging'));
    if (process.getuid?.() === 0) assert.equal(dir.uid, SANDBOX_UID);
    const second = await ship('data', 'a new release');
    assert.equal(second.code, 0, second.out);
    const afterRelease = await data();
    assert.equal(afterRelease.length, 2, 'the new release found the first one’s data and added its line');
    assert.equal(afterRelease[0], a);

    const back = await repo.cli(['rollback', 'staging']);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.equal((await envStatus(repo, 'staging')).current?.release, a, 'the first release serves again');
    const afterRollback = await data();
    assert.deepEqual(afterRollback.slice(0, 2), afterRelease, 'nothing written before the rollback is lost');

    assert.equal((await repo.cli(['down'])).code, 0);
    const up = await repo.cli(['up']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual((await data()).slice(0, afterRollback.length), afterRollback, 'down and up keep the data');
  });
});
