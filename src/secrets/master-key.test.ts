import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { keyIdOf } from './crypto.js';
import { formatMasterKey, generateMasterKey, homeIdOf, keyFilePath, loadMasterKey, parseMasterKey, stageKeyRotation } from './master-key.js';
import { SlipwayError } from '../core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'slipway-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh fake $HOME and Slipway home inside a fake repository. */
function setup(): { env: NodeJS.ProcessEnv; home: string; repo: string; userHome: string } {
  const base = join(root, String(n++));
  const userHome = join(base, 'user');
  const repo = join(base, 'repo');
  const home = join(repo, '.slipway');
  mkdirSync(home, { recursive: true });
  mkdirSync(userHome, { recursive: true });
  return { env: { HOME: userHome }, home, repo, userHome };
}

function rejectsWith(p: Promise<unknown>, code: string, message: RegExp, hint?: RegExp): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SlipwayError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    if (hint) assert.match(e.hint ?? '', hint);
    return true;
  });
}

const key = Buffer.alloc(32, 0xab);

describe('parseMasterKey', () => {
  test('accepts hex, base64, url-safe and unpadded base64 of 32 bytes', () => {
    for (const text of [key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64'), key.toString('base64url'), `${key.toString('base64url')}=`, ` ${key.toString('base64')}\n`]) {
      assert.deepEqual(parseMasterKey(text, 'X'), key, text);
    }
  });

  test('refuses anything else, naming the origin and the expected form, never echoing the text', () => {
    const bad = ['', 'hunter2', key.subarray(0, 16).toString('hex'), Buffer.alloc(33).toString('base64'), `${key.toString('hex')}0`, 'z'.repeat(64), `${key.toString('base64').slice(0, 43)}!`];
    for (const text of bad) {
      assert.throws(() => parseMasterKey(text, 'SLIPWAY_MASTER_KEY'), (e: unknown) => {
        assert.ok(e instanceof SlipwayError);
        assert.equal(e.code, 'config');
        assert.match(e.message, /^SLIPWAY_MASTER_KEY must be 32 bytes written as 64 hex digits or as base64/);
        if (text.trim() !== '') assert.ok(!e.message.includes(text.trim()));
        return true;
      }, JSON.stringify(text));
    }
  });
});

describe('keyFilePath', () => {
  test('defaults to ~/.config/slipway/keys/<home-id>.key, home-id = sha256 of the absolute home path', () => {
    const { env, home, userHome } = setup();
    const id = createHash('sha256').update(home).digest('hex').slice(0, 16);
    assert.equal(homeIdOf(home), id);
    assert.equal(keyFilePath(home, env), join(userHome, '.config', 'slipway', 'keys', `${id}.key`));
  });

  test('follows XDG_CONFIG_HOME and SLIPWAY_MASTER_KEY_FILE', () => {
    const { env, home } = setup();
    assert.equal(keyFilePath(home, { ...env, XDG_CONFIG_HOME: '/x/cfg' }), join('/x/cfg', 'slipway', 'keys', `${homeIdOf(home)}.key`));
    assert.equal(keyFilePath(home, { ...env, XDG_CONFIG_HOME: 'relative' }), join(env.HOME!, '.config', 'slipway', 'keys', `${homeIdOf(home)}.key`));
    assert.equal(keyFilePath(home, { ...env, SLIPWAY_MASTER_KEY_FILE: '/keys/a.key' }), '/keys/a.key');
  });
});

describe('loadMasterKey', () => {
  test('SLIPWAY_MASTER_KEY wins, and nothing is written', async () => {
    const { env, home } = setup();
    const mk = await loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY: key.toString('hex') }, create: true });
    assert.deepEqual(mk, { key, keyId: keyIdOf(key), source: 'env', created: false });
    assert.ok(!existsSync(keyFilePath(home, env)));
  });

  test('a malformed SLIPWAY_MASTER_KEY is a clear error even when empty', async () => {
    const { env, home } = setup();
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY: 'short' }, create: true }), 'config', /SLIPWAY_MASTER_KEY must be 32 bytes/);
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY: '' }, create: true }), 'config', /SLIPWAY_MASTER_KEY .*it is empty/);
  });

  test('creates the key file on first use with mode 0600 in a 0700 directory, then reads it back', async () => {
    const { env, home } = setup();
    const created = await loadMasterKey({ home, env, create: true });
    assert.equal(created.created, true);
    assert.equal(created.source, 'file');
    assert.equal(created.path, keyFilePath(home, env));
    assert.equal(statSync(created.path).mode & 0o777, 0o600);
    assert.equal(statSync(join(created.path, '..')).mode & 0o777, 0o700);
    assert.ok(readFileSync(created.path, 'utf8').includes(formatMasterKey(created.key)));
    assert.equal(created.keyId, keyIdOf(created.key));
    const again = await loadMasterKey({ home, env, create: true, existingKeyIds: [created.keyId] });
    assert.equal(again.created, false);
    assert.deepEqual(again.key, created.key);
  });

  test('two first uses at once agree on one key', async () => {
    const { env, home } = setup();
    const [a, b] = await Promise.all([loadMasterKey({ home, env, create: true }), loadMasterKey({ home, env, create: true })]);
    assert.deepEqual(a.key, b.key);
  });

  test('without create and without secrets: a clear error, no file created', async () => {
    const { env, home } = setup();
    await rejectsWith(loadMasterKey({ home, env, create: false }), 'config', /no master key: SLIPWAY_MASTER_KEY is not set and there is no key file at/);
    assert.ok(!existsSync(keyFilePath(home, env)));
  });

  test('a missing key when secrets exist names the key id and the path, and creates nothing even with create', async () => {
    const { env, home } = setup();
    const path = keyFilePath(home, env);
    await rejectsWith(
      loadMasterKey({ home, env, create: true, existingKeyIds: ['0123456789abcdef'] }),
      'config',
      new RegExp(`secrets were encrypted with key id 0123456789abcdef; set SLIPWAY_MASTER_KEY or restore the key file at ${path.replace(/[.]/g, '\\.')}`),
    );
    assert.ok(!existsSync(path));
  });

  test('a key that is not the one the secrets use is refused, from the file or the variable', async () => {
    const { env, home } = setup();
    const mk = await loadMasterKey({ home, env, create: true });
    await rejectsWith(loadMasterKey({ home, env, create: true, existingKeyIds: ['0123456789abcdef'] }), 'refused', new RegExp(`key id ${mk.keyId}.*0123456789abcdef; nothing was decrypted`));
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY: key.toString('base64') }, create: false, existingKeyIds: [mk.keyId] }), 'refused', /SLIPWAY_MASTER_KEY holds the master key with key id/);
    assert.deepEqual((await loadMasterKey({ home, env, create: false, existingKeyIds: [mk.keyId] })).key, mk.key);
  });

  test('a key file readable by group or others is refused with the chmod fix', async () => {
    const { env, home } = setup();
    const mk = await loadMasterKey({ home, env, create: true });
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(mk.path!, mode);
      await rejectsWith(loadMasterKey({ home, env, create: false }), 'refused', new RegExp(`readable by group or others \\(mode 0${mode.toString(8)}\\)`), new RegExp(`chmod 600 ${mk.path!.replace(/[.]/g, '\\.')}`));
    }
    chmodSync(mk.path!, 0o400);
    assert.deepEqual((await loadMasterKey({ home, env, create: false })).key, mk.key);
  });

  test('SLIPWAY_MASTER_KEY_FILE points at a key file; a symlink, a directory or a malformed file is refused', async () => {
    const { env, home, userHome } = setup();
    const file = join(userHome, 'my.key');
    writeFileSync(file, `# comment\n\n${key.toString('hex')}\n`, { mode: 0o600 });
    const mk = await loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY_FILE: file }, create: false });
    assert.deepEqual([mk.key, mk.path, mk.source], [key, file, 'file']);

    const link = join(userHome, 'link.key');
    symlinkSync(file, link);
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY_FILE: link }, create: false }), 'refused', /symbolic link/);

    const dir = join(userHome, 'dir.key');
    mkdirSync(dir, { mode: 0o700 });
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY_FILE: dir }, create: false }), 'config', /not a regular file/);

    const bad = join(userHome, 'bad.key');
    writeFileSync(bad, 'not a key\n', { mode: 0o600 });
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY_FILE: bad }, create: false }), 'config', /the master key file .*bad\.key must be 32 bytes/);
    writeFileSync(bad, `${key.toString('hex')}\n${key.toString('hex')}\n`, { mode: 0o600 });
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY_FILE: bad }, create: false }), 'config', /exactly one key line; it has 2/);
    writeFileSync(bad, '# only a comment\n', { mode: 0o600 });
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY_FILE: bad }, create: false }), 'config', /it has 0/);
  });

  test('a key file inside the home or the repository is refused', async () => {
    const { env, home, repo } = setup();
    await rejectsWith(loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY_FILE: join(home, 'k.key') }, create: true }), 'refused', /inside the Slipway home/);
    await rejectsWith(loadMasterKey({ home, repo, env: { ...env, SLIPWAY_MASTER_KEY_FILE: join(repo, 'k.key') }, create: true }), 'refused', /inside the repository/);
    assert.ok(!existsSync(join(home, 'k.key')) && !existsSync(join(repo, 'k.key')));
  });
});

describe('stageKeyRotation', () => {
  test('commit installs the new key and keeps the old one as .retired-<id>', async () => {
    const { env, home } = setup();
    const old = await loadMasterKey({ home, env, create: true });
    const staged = await stageKeyRotation(old, home);
    assert.equal(staged.stagedAt, `${old.path!}.next`);
    assert.equal(statSync(staged.stagedAt).mode & 0o777, 0o600);
    await staged.commit();
    const now = await loadMasterKey({ home, env, create: false, existingKeyIds: [staged.keyId] });
    assert.deepEqual(now.key, staged.key);
    assert.ok(existsSync(`${old.path!}.retired-${old.keyId}`));
    assert.ok(!existsSync(staged.stagedAt));
  });

  test('abandon removes the staged key and leaves the old one', async () => {
    const { env, home } = setup();
    const old = await loadMasterKey({ home, env, create: true });
    const staged = await stageKeyRotation(old, home);
    await staged.abandon();
    assert.ok(!existsSync(staged.stagedAt!));
    assert.deepEqual((await loadMasterKey({ home, env, create: false, existingKeyIds: [old.keyId] })).key, old.key);
  });

  test('a rotation interrupted after re-encryption is finished by the next load', async () => {
    const { env, home } = setup();
    const old = await loadMasterKey({ home, env, create: true });
    const staged = await stageKeyRotation(old, home);
    // The secrets now use staged.keyId, but the key file was never swapped.
    const mk = await loadMasterKey({ home, env, create: false, existingKeyIds: [staged.keyId] });
    assert.deepEqual(mk.key, staged.key);
    assert.deepEqual(parseMasterKey(readFileSync(old.path!, 'utf8').split('\n').at(-2) ?? '', 'x'), staged.key);
    assert.ok(existsSync(`${old.path!}.retired-${old.keyId}`));
  });

  test('a rotation interrupted between retiring the old file and installing the new one is finished too', async () => {
    const { env, home } = setup();
    const old = await loadMasterKey({ home, env, create: true });
    const staged = await stageKeyRotation(old, home);
    renameSync(old.path!, `${old.path!}.retired-${old.keyId}`);
    const mk = await loadMasterKey({ home, env, create: true, existingKeyIds: [staged.keyId] });
    assert.deepEqual([mk.key, mk.created], [staged.key, false]);
    assert.ok(existsSync(old.path!) && !existsSync(staged.stagedAt!));
  });

  test('with a key from the environment, nothing is written', async () => {
    const { env, home } = setup();
    const mk = await loadMasterKey({ home, env: { ...env, SLIPWAY_MASTER_KEY: generateMasterKey().toString('hex') }, create: false });
    const staged = await stageKeyRotation(mk, home);
    assert.equal(staged.stagedAt, undefined);
    assert.equal(staged.key.length, 32);
    assert.notDeepEqual(staged.key, mk.key);
  });
});
