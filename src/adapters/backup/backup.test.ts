// Backup and restore of a home made by hand (a database with a release and a sealed secret, an
// artifact, a canonical repository, a signing key): the round trip, and every bad input refused
// with nothing written — truncated, altered entry (named), newer format, wrong passphrase or key,
// a home that is not empty.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SlipwayError } from '../../core/errors.js';
import { verifyChain } from '../../core/events/chain.js';
import { homeIdOf } from '../../home/paths.js';
import { encryptSecret, keyIdOf } from '../../secrets/crypto.js';
import { formatMasterKey, generateMasterKey } from '../../secrets/master-key.js';
import { walkArchive } from '../archive/read.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import { createBackup, readBackupArchive, restoreBackup } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-backup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KEY = generateMasterKey();
const KEY_ID = keyIdOf(KEY);
const SECRET = `s3cret-${randomBytes(8).toString('hex')}`;
const PASS = Buffer.from('correct horse battery staple');
const BLOB = Buffer.from(`artifact bytes ${randomBytes(4).toString('hex')}`);
const HEX = createHash('sha256').update(BLOB).digest('hex');
const home = join(dir, 'old-home');
/** Where key files go (XDG_CONFIG_HOME): never the real user's. */
const config = join(dir, 'config');
const envWith = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: dir, XDG_CONFIG_HOME: config, ...extra });
const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

let n = 0;
const fresh = (): string => join(dir, `new-home-${++n}`);
const refusedWith = async (p: Promise<unknown>, code: string, re: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SlipwayError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
};
/** Nothing of a refused restore is left: no home, no staging folder beside it, no key file. */
const nothingWritten = (target: string): void => {
  assert.equal(existsSync(target), false, 'no home');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.restore-')), [], 'no staging folder');
  assert.equal(existsSync(join(config, 'slipway', 'keys', `${homeIdOf(target)}.key`)), false, 'no key file');
};

before(async () => {
  const store = openSqliteStore(join(home, 'slipway.db'));
  await store.appendEvent({ kind: 'deploy', actor: 't', subject: 'staging', data: { n: 1 } }, '2026-01-01T00:00:00.000Z');
  await store.close();
  const db = new Database(join(home, 'slipway.db'));
  db.prepare("INSERT INTO releases (env, number, digest, commit_sha, config_version, secret_versions, created_at, created_by) VALUES ('staging', 1, ?, 'abc', 0, '{}', 'now', 't')").run(`sha256:${HEX}`);
  db.prepare("INSERT INTO env_state (env, port, current_release, updated_at) VALUES ('staging', 4100, 1, 'now')").run();
  db.prepare("INSERT INTO instances (id, env, release, info) VALUES ('i1', 'staging', 1, '{}')").run();
  const r = encryptSecret(KEY, KEY_ID, { env: 'staging', name: 'API_TOKEN', version: 1 }, Buffer.from(SECRET));
  db.prepare("INSERT INTO secret_records (env, name, version, kind, alg, key_id, salt, nonce, ciphertext, tag, created_at) VALUES (?, ?, ?, 'value', ?, ?, ?, ?, ?, ?, 'now')").run(r.env, r.name, r.version, r.alg, r.keyId, r.salt, r.nonce, r.ciphertext, r.tag);
  db.close();
  const store2 = join(home, 'artifacts', 'sha256');
  mkdirSync(store2, { recursive: true });
  writeFileSync(join(store2, HEX), BLOB, { mode: 0o444 });
  writeFileSync(join(store2, `${HEX}.manifest.json`), '{}\n');
  writeFileSync(join(store2, 'f'.repeat(64)), 'unreferenced');
  mkdirSync(join(home, 'keys'), { mode: 0o700 });
  writeFileSync(join(home, 'keys', 'signing.key'), 'private\n', { mode: 0o600 });
  writeFileSync(join(home, 'keys', 'signing.pub'), 'public\n');
  const work = join(dir, 'work');
  mkdirSync(work);
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'commit', '--quiet', '--allow-empty', '-m', 'first');
  git(dir, 'clone', '--quiet', '--bare', work, join(home, 'repo.git'));
});

describe('backup', () => {
  test('holds the database, referenced artifacts, repository and signing key, 0600; verify lists them; no secret in clear', async () => {
    const file = join(dir, 'plain.tar');
    const r = await createBackup({ home, file });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const names = r.manifest.entries.map((e) => e.name).sort();
    assert.deepEqual(names, ['artifacts/sha256/' + HEX, `artifacts/sha256/${HEX}.manifest.json`, 'db/slipway.db', 'keys/signing.key', 'keys/signing.pub', 'repo/canonical.bundle']);
    assert.deepEqual(r.manifest.secretKeyIds, [KEY_ID]);
    assert.equal(r.manifest.homeId, homeIdOf(home));
    assert.equal(r.manifest.counts.releases, 1);
    const read = await readBackupArchive(file);
    assert.deepEqual(read.manifest, r.manifest);
    const bytes = readFileSync(file);
    for (const form of [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex'), formatMasterKey(KEY), KEY.toString('hex')]) {
      assert.equal(bytes.includes(Buffer.from(form)), false, `the archive holds ${form.slice(0, 8)}…`);
    }
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('.slipway-backup-') || f.includes('.tmp-')).length, 0, 'no temp left');
  });

  test('--all takes unreferenced artifacts too', async () => {
    const r = await createBackup({ home, file: join(dir, 'all.tar'), all: true });
    assert.ok(r.manifest.entries.some((e) => e.name === `artifacts/sha256/${'f'.repeat(64)}`));
    assert.equal(r.manifest.counts.artifacts, 2);
  });

  test('--include-master-key needs a passphrase of 12 characters or more', async () => {
    await refusedWith(createBackup({ home, file: join(dir, 'short.tar'), includeMasterKey: { env: envWith({ SLIPWAY_MASTER_KEY: formatMasterKey(KEY) }), passphrase: () => Promise.resolve(Buffer.from('short')) } }), 'usage', /at least 12/);
    assert.equal(existsSync(join(dir, 'short.tar')), false);
  });
});

describe('backup while another process writes', () => {
  test('each archive is one consistent moment: its chain verifies, and it restores', async () => {
    const storeModule = new URL('../store/sqlite/store.js', import.meta.url).href;
    const script = `const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = openSqliteStore(${JSON.stringify(join(home, 'slipway.db'))});
      const end = Date.now() + 4000;
      let i = 0;
      while (Date.now() < end) { await store.appendEvent({ kind: 'load', actor: 'w', subject: 's', data: { i: i++ } }, new Date().toISOString()); if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1)); }
      await store.close();`;
    const writer = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    writer.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => writer.on('close', r));
    const counts: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 300));
        const file = join(dir, `busy-${i}.tar`);
        const b = await createBackup({ home, file });
        counts.push(b.manifest.counts.events);
        const target = fresh();
        await restoreBackup({ home: target, file, env: envWith({ SLIPWAY_MASTER_KEY: formatMasterKey(KEY) }), passphrase: () => assert.fail('not asked'), actor: 't' });
        const store = openSqliteStore(join(target, 'slipway.db'), { readonly: true });
        const events = await store.listEvents({ limit: 1_000_000 });
        await store.close();
        assert.equal(verifyChain(events).ok, true);
        assert.equal(events.length, b.manifest.counts.events + 1, 'the restore event follows the snapshot');
      }
    } finally {
      assert.equal(await exited, 0, stderr);
    }
    assert.ok((counts[2] ?? 0) > (counts[0] ?? 0), `the writer wrote during the backups (${counts.join(', ')})`);
  });
});

describe('restore', () => {
  test('with SLIPWAY_MASTER_KEY: the same database (instances forgotten), artifacts, repository, a restore event, the chain verifies', async () => {
    const target = fresh();
    const report = await restoreBackup({ home: target, file: join(dir, 'plain.tar'), env: envWith({ SLIPWAY_MASTER_KEY: formatMasterKey(KEY) }), passphrase: () => assert.fail('no passphrase needed'), actor: 'tester' });
    assert.equal(report.key.source, 'env');
    assert.deepEqual(readFileSync(join(target, 'artifacts', 'sha256', HEX)), BLOB);
    assert.equal(statSync(join(target, 'artifacts', 'sha256', HEX)).mode & 0o777, 0o444);
    assert.equal(statSync(target).mode & 0o777, 0o700);
    assert.equal(git(target, '--git-dir', join(target, 'repo.git'), 'log', '--format=%s', 'main'), 'first');
    assert.equal(git(target, '--git-dir', join(target, 'repo.git'), 'remote'), '');
    const store = openSqliteStore(join(target, 'slipway.db'), { readonly: true });
    const events = await store.listEvents({});
    await store.close();
    assert.deepEqual(events.map((e) => e.kind), ['deploy', 'restore']);
    assert.equal(verifyChain(events).ok, true);
    const db = new Database(join(target, 'slipway.db'), { readonly: true });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM instances').get() as { n: number }).n, 0);
    assert.equal((db.prepare('SELECT digest FROM releases').get() as { digest: string }).digest, `sha256:${HEX}`);
    db.close();
  });

  test('with the sealed key and its passphrase: the key file is written for the new home id, 0600', async () => {
    const file = join(dir, 'with-key.tar');
    await createBackup({ home, file, includeMasterKey: { env: envWith({ SLIPWAY_MASTER_KEY: formatMasterKey(KEY) }), passphrase: () => Promise.resolve(Buffer.from(PASS)) } });
    assert.equal(readFileSync(file).includes(Buffer.from(formatMasterKey(KEY))), false, 'the key is sealed');
    const target = fresh();
    const report = await restoreBackup({ home: target, file, env: envWith(), passphrase: () => Promise.resolve(Buffer.from(PASS)), actor: 'tester' });
    const keyFile = join(config, 'slipway', 'keys', `${homeIdOf(target)}.key`);
    assert.equal(report.key.source, 'backup');
    assert.equal(report.key.keyFile, keyFile);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), new RegExp(formatMasterKey(KEY).replace(/[+/]/g, '\\$&')));
  });

  test('a wrong passphrase is refused, nothing written', async () => {
    const target = fresh();
    await refusedWith(restoreBackup({ home: target, file: join(dir, 'with-key.tar'), env: envWith(), passphrase: () => Promise.resolve(Buffer.from('not the passphrase at all')), actor: 't' }), 'refused', /wrong passphrase/);
    nothingWritten(target);
  });

  test('a wrong master key is refused by key id, nothing written', async () => {
    const target = fresh();
    await refusedWith(restoreBackup({ home: target, file: join(dir, 'plain.tar'), env: envWith({ SLIPWAY_MASTER_KEY: formatMasterKey(generateMasterKey()) }), passphrase: () => assert.fail('not asked'), actor: 't' }), 'refused', new RegExp(`encrypted with key id ${KEY_ID}`));
    nothingWritten(target);
  });

  test('no key at all (none in its usual place, none in the archive) is refused, nothing written', async () => {
    const target = fresh();
    await refusedWith(restoreBackup({ home: target, file: join(dir, 'plain.tar'), env: envWith(), passphrase: () => assert.fail('not asked'), actor: 't' }), 'config', new RegExp(`key id ${KEY_ID}.*carries no master key`));
    nothingWritten(target);
  });

  test('a home that is not empty is refused and left as it was', async () => {
    const target = fresh();
    mkdirSync(target);
    writeFileSync(join(target, 'slipway.db'), 'mine');
    await refusedWith(restoreBackup({ home: target, file: join(dir, 'plain.tar'), env: envWith({ SLIPWAY_MASTER_KEY: formatMasterKey(KEY) }), passphrase: () => assert.fail('not asked'), actor: 't' }), 'refused', /is not empty \(it holds slipway\.db\)/);
    assert.deepEqual(readdirSync(target), ['slipway.db']);
    assert.equal(readFileSync(join(target, 'slipway.db'), 'utf8'), 'mine');
  });

  test('an empty folder is an empty home', async () => {
    const target = fresh();
    mkdirSync(target);
    await restoreBackup({ home: target, file: join(dir, 'plain.tar'), env: envWith({ SLIPWAY_MASTER_KEY: formatMasterKey(KEY) }), passphrase: () => assert.fail('not asked'), actor: 't' });
    assert.ok(existsSync(join(target, 'slipway.db')));
  });
});

describe('damaged archives: refused by verify and restore, nothing written', () => {
  const copy = (name: string): string => {
    const f = join(dir, name);
    writeFileSync(f, readFileSync(join(dir, 'plain.tar')));
    return f;
  };
  const offsetOf = async (file: string, entry: string): Promise<number> => {
    let at = -1;
    await walkArchive(file, (e) => {
      if (e.name === entry) at = e.dataOffset;
      return Promise.resolve();
    });
    return at;
  };
  const bothRefuse = async (file: string, code: string, re: RegExp): Promise<void> => {
    await refusedWith(readBackupArchive(file), code, re);
    const target = fresh();
    await refusedWith(restoreBackup({ home: target, file, env: envWith({ SLIPWAY_MASTER_KEY: formatMasterKey(KEY) }), passphrase: () => assert.fail('not asked'), actor: 't' }), code, re);
    nothingWritten(target);
  };

  test('truncated (at several places)', async () => {
    const size = statSync(join(dir, 'plain.tar')).size;
    for (const cut of [100, 1500, Math.floor(size / 2), size - 1024, size - 1]) {
      const f = copy(`cut-${cut}.tar`);
      truncateSync(f, cut);
      await bothRefuse(f, 'corrupt', /is damaged: .*(truncated|ends early|end-of-archive|lacks)/);
    }
  });

  test('an altered entry is named', async () => {
    const f = copy('altered.tar');
    const at = await offsetOf(f, `artifacts/sha256/${HEX}`);
    const bytes = readFileSync(f);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(f, bytes);
    await bothRefuse(f, 'corrupt', new RegExp(`entry "artifacts/sha256/${HEX}" failed its digest`));
  });

  test('an altered database is named', async () => {
    const f = copy('altered-db.tar');
    const at = await offsetOf(f, 'db/slipway.db');
    const bytes = readFileSync(f);
    bytes[at + 200] = (bytes[at + 200] as number) ^ 0x01;
    writeFileSync(f, bytes);
    await bothRefuse(f, 'corrupt', /entry "db\/slipway\.db" failed its digest/);
  });

  test('an archive from a newer format version', async () => {
    const f = copy('newer.tar');
    const bytes = readFileSync(f);
    const text = bytes.toString('latin1');
    const i = text.indexOf('"formatVersion": 1');
    assert.ok(i > 0);
    bytes.write('"formatVersion": 9', i, 'latin1');
    writeFileSync(f, bytes);
    await bothRefuse(f, 'refused', /backup format 9 by Slipway .*reads format 1 and older/);
  });

  test('not a backup at all', async () => {
    const f = join(dir, 'not-a-backup.tar');
    writeFileSync(f, Buffer.alloc(4096, 0x41));
    await bothRefuse(f, 'corrupt', /is damaged/);
  });
});
