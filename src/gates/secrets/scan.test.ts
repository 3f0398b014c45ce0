// Scanning trees on disk, archives (the real artifact format and gzip, GNU and PAX tars) and
// files given as data, with the limits each one reports.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { packDeterministic } from '../../adapters/archive/index.js';
import { SlipwayError } from '../../core/errors.js';
import { parseAllowlist, scanArchive, scanFiles, scanTree } from './index.js';

const token = (i: number): string => 'gh' + 'p_' + String(i).padStart(6, '0') + 'Q'.repeat(30);
const stripe = 'sk' + '_live_' + 'Zx8'.repeat(8);

let dir = '';
const write = (rel: string, content: string | Buffer): void => {
  const p = path.join(dir, 'tree', rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
};

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
  write('src/app.ts', `export const key = '${stripe}';\n`);
  write('src/clean.ts', 'export const answer = 42;\n');
  write('config/.env', `\n\nGITHUB_TOKEN=${token(1)}\n`);
  write('.git/config', `token = ${token(2)}\n`);
  write('node_modules/pkg/index.js', `module.exports = '${token(3)}';\n`);
  write('packages/a/node_modules/b/x.js', `'${token(4)}'`);
  write('assets/logo.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), Buffer.from(token(5))]));
  write('big/dump.sql', `${token(6)}\n${'x'.repeat(1024 * 1024)}`);
  write('test/fixtures/fake.txt', token(7));
  symlinkSync('../src/app.ts', path.join(dir, 'tree/config/link.ts'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('scanTree', () => {
  test('finds secrets, skips .git, node_modules, binaries, large files and links, and says so', async () => {
    const r = await scanTree(path.join(dir, 'tree'));
    assert.deepEqual(
      r.findings.map((f) => [f.file, f.line, f.rule]),
      [
        ['config/.env', 3, 'github-token'],
        ['src/app.ts', 1, 'stripe-key'],
        ['test/fixtures/fake.txt', 1, 'github-token'],
      ],
    );
    assert.deepEqual(r.stats.skippedDirs, ['.git', 'node_modules', 'packages/a/node_modules']);
    assert.equal(r.stats.binarySkipped, 1);
    assert.deepEqual(r.stats.tooLarge.map((t) => t.path), ['big/dump.sql']);
    assert.equal(r.stats.notRegularFiles, 1);
    assert.equal(r.stats.filesScanned, 4);
  });

  test('applies an allowlist with reasons', async () => {
    const parsed = parseAllowlist('allow:\n  - path: test/fixtures/**\n    reason: fake tokens for tests\n', '.slipway/secrets-allowlist.yaml');
    assert.ok(parsed.ok);
    const r = await scanTree(path.join(dir, 'tree'), { allowlist: parsed.allowlist });
    assert.deepEqual(r.findings.map((f) => f.file), ['config/.env', 'src/app.ts']);
    assert.deepEqual(r.allowed.map((a) => [a.finding.file, a.reason]), [['test/fixtures/fake.txt', 'fake tokens for tests']]);
  });

  test('options: a larger size limit and no skipped directories', async () => {
    const r = await scanTree(path.join(dir, 'tree'), { maxFileBytes: 4 * 1024 * 1024, skipDirs: [] });
    const files = r.findings.map((f) => f.file);
    for (const f of ['.git/config', 'node_modules/pkg/index.js', 'packages/a/node_modules/b/x.js', 'big/dump.sql']) assert.ok(files.includes(f), f);
  });

  test('a missing root is a not_found error', async () => {
    await assert.rejects(scanTree(path.join(dir, 'nope')), (e: unknown) => e instanceof SlipwayError && e.code === 'not_found');
  });

  test('10 000 files: every planted secret is found', async () => {
    const root = path.join(dir, 'many');
    const planted = new Set<string>();
    for (let d = 0; d < 50; d++) for (let s = 0; s < 7; s++) mkdirSync(path.join(root, `d${d}/sub${s}`), { recursive: true });
    for (let i = 0; i < 10_000; i++) {
      const rel = `d${i % 50}/sub${i % 7}/f${i}.ts`;
      const p = path.join(root, rel);
      const secret = i % 97 === 0;
      if (secret) planted.add(rel);
      writeFileSync(p, `// file ${i}\nexport const v${i} = ${i};\n${secret ? `const t = '${token(i)}';\n` : ''}`);
    }
    const r = await scanTree(root);
    assert.equal(r.stats.filesScanned, 10_000);
    assert.deepEqual(new Set(r.findings.map((f) => f.file)), planted);
    assert.ok(r.findings.every((f) => f.line === 3 && f.rule === 'github-token'));
  });
});

describe('scanArchive', () => {
  test('scans the real artifact format (deterministic tar) and its gzip', async () => {
    const tarFile = path.join(dir, 'artifact.tar');
    await packDeterministic(path.join(dir, 'tree'), ['src', 'config/.env', 'node_modules', 'assets'], tarFile);
    const r = await scanArchive(tarFile);
    assert.deepEqual(
      r.findings.map((f) => [f.file, f.line, f.rule]),
      [
        ['config/.env', 3, 'github-token'],
        ['src/app.ts', 1, 'stripe-key'],
      ],
    );
    assert.deepEqual(r.stats.skippedDirs, ['node_modules']);
    assert.equal(r.stats.binarySkipped, 1);
    const gz = path.join(dir, 'artifact.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(tarFile)));
    const z = await scanArchive(gz);
    assert.deepEqual(z.findings, r.findings);
  });

  test('reads GNU long names, PAX paths and ustar prefixes written by GNU tar', { skip: spawnSync('tar', ['--version']).status !== 0 ? 'no tar command' : false }, async () => {
    const longDir = `${'deep-directory-name/'.repeat(7)}end`; // 143 characters: over ustar's 100-byte name field
    write(`${longDir}/secret.txt`, stripe);
    for (const format of ['gnu', 'pax', 'ustar']) {
      const out = path.join(dir, `${format}.tar`);
      const r0 = spawnSync('tar', [`--format=${format}`, '-cf', out, '-C', path.join(dir, 'tree'), longDir.split('/')[0] as string]);
      assert.equal(r0.status, 0, r0.stderr.toString());
      const r = await scanArchive(out);
      assert.deepEqual(r.findings.map((f) => f.file), [`${longDir}/secret.txt`], format);
    }
  });

  test('a truncated or damaged archive is a corrupt error; a missing one is not_found', async () => {
    const tarFile = path.join(dir, 'artifact.tar');
    const bytes = readFileSync(tarFile);
    const cut = path.join(dir, 'cut.tar');
    writeFileSync(cut, bytes.subarray(0, 700));
    await assert.rejects(scanArchive(cut), (e: unknown) => e instanceof SlipwayError && e.code === 'corrupt' && /corrupt at byte/.test(e.message));
    const damaged = Buffer.from(bytes);
    damaged[10] = (damaged[10] ?? 0) ^ 0xff;
    const bad = path.join(dir, 'bad.tar');
    writeFileSync(bad, damaged);
    await assert.rejects(scanArchive(bad), /checksum mismatch/);
    const badGz = path.join(dir, 'bad.tar.gz');
    writeFileSync(badGz, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]));
    await assert.rejects(scanArchive(badGz), (e: unknown) => e instanceof SlipwayError && e.code === 'corrupt');
    await assert.rejects(scanArchive(path.join(dir, 'missing.tar')), (e: unknown) => e instanceof SlipwayError && e.code === 'not_found');
  });
});

describe('scanFiles', () => {
  test('scans files given as data, sync or async, with the same limits', async () => {
    const files = [
      { path: './app/.env', content: `STRIPE=${stripe}` },
      { path: 'app/node_modules/x.js', content: stripe },
      { path: 'app/huge.bin', size: 5_000_000 },
    ];
    const r = await scanFiles(files);
    assert.deepEqual(r.findings.map((f) => [f.file, f.rule]), [['app/.env', 'stripe-key']]);
    assert.deepEqual(r.stats.skippedDirs, ['app/node_modules']);
    assert.deepEqual(r.stats.tooLarge, [{ path: 'app/huge.bin', size: 5_000_000 }]);
    async function* gen(): AsyncGenerator<{ path: string; content: string }> {
      await Promise.resolve();
      yield { path: 'a.txt', content: stripe };
    }
    assert.equal((await scanFiles(gen())).findings.length, 1);
  });
});
