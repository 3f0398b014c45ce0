// The master key that seals every secret: from SLIPWAY_MASTER_KEY, or from a key file kept
// outside the repository (by default ~/.config/slipway/keys/<home-id>.key, mode 0600), created
// on first use only when no secret exists yet, so that a lost key is never silently replaced.

import { randomBytes } from 'node:crypto';
import { createFileOnce, writeFileAtomic } from '../adapters/fs/files.js';
import { constants } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { KEY_FILE_HEADER } from '../core/secrets/records.js';
import { keyIdOf } from './crypto.js';
import { homeIdOf } from '../home/paths.js';

export const MASTER_KEY_VAR = 'SLIPWAY_MASTER_KEY';
export const MASTER_KEY_FILE_VAR = 'SLIPWAY_MASTER_KEY_FILE';
const KEY_BYTES = 32;
const EXPECTED = '32 bytes written as 64 hex digits or as base64 (44 characters; url-safe or unpadded is fine)';

export interface MasterKey {
  key: Buffer;
  keyId: string;
  /** Where the key came from: the environment variable or a key file. */
  source: 'env' | 'file';
  /** The key file, when `source` is 'file'. */
  path?: string;
  /** True when this call created the key file. */
  created: boolean;
}

export interface LoadMasterKeyOptions {
  /** Slipway's home (absolute or relative to the working directory). */
  home: string;
  /** The environment to read SLIPWAY_MASTER_KEY, SLIPWAY_MASTER_KEY_FILE, XDG_CONFIG_HOME and HOME from. */
  env?: NodeJS.ProcessEnv;
  /** Create the key file when there is none — honoured only when no secret exists yet. */
  create: boolean;
  /** Key ids the stored secrets are sealed under (SecretsStore.keyIds()); a key not among them is refused. */
  existingKeyIds?: readonly string[];
  /** The repository; a key file inside it (or inside the home) is refused. */
  repo?: string;
}

/** 32 fresh random bytes. */
export function generateMasterKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Encodes a key as it is written to key files and accepted by SLIPWAY_MASTER_KEY. */
export function formatMasterKey(key: Buffer): string {
  return key.toString('base64');
}

/**
 * Reads a master key written as 64 hex digits or base64 of 32 bytes. `origin` names where it
 * came from for the error, which never repeats the text itself.
 */
export function parseMasterKey(text: string, origin: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(t) || /^[A-Za-z0-9_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  const what = t === '' ? 'it is empty' : `it has ${t.length} characters that are neither`;
  throw new SlipwayError('config', `${origin} must be ${EXPECTED}; ${what}`, `create one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`);
}

export { homeIdOf };

/** Where the key file is: SLIPWAY_MASTER_KEY_FILE, else $XDG_CONFIG_HOME (or ~/.config)/slipway/keys/<home-id>.key. */
export function keyFilePath(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[MASTER_KEY_FILE_VAR];
  if (override) return resolve(override);
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(config, 'slipway', 'keys', `${homeIdOf(home)}.key`);
}

const stagedPath = (path: string): string => `${path}.next`;
const isInside = (dir: string, path: string): boolean => {
  const rel = relative(resolve(dir), path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * Finds the master key. SLIPWAY_MASTER_KEY wins over the key file. Throws SlipwayError with a
 * hint when the key is missing, malformed, readable by others, or not the one the stored
 * secrets were sealed with; it never overwrites a key file. Finishes a key rotation that was
 * interrupted between re-encrypting the secrets and installing the new key file.
 */
export async function loadMasterKey(opts: LoadMasterKeyOptions): Promise<MasterKey> {
  const env = opts.env ?? process.env;
  const existing = opts.existingKeyIds ?? [];
  const raw = env[MASTER_KEY_VAR];
  if (raw !== undefined) {
    const key = parseMasterKey(raw, MASTER_KEY_VAR);
    return expectKnown({ key, keyId: keyIdOf(key), source: 'env', created: false }, existing, `${MASTER_KEY_VAR}`);
  }
  const path = keyFilePath(opts.home, env);
  for (const [dir, what] of [[opts.home, 'Slipway home'], [opts.repo, 'repository']] as const) {
    if (dir !== undefined && isInside(dir, path)) {
      throw new SlipwayError('refused', `the master key file ${path} is inside the ${what} ${resolve(dir)}; it must be kept apart from the data it protects`, `move it elsewhere and point ${MASTER_KEY_FILE_VAR} at it, or unset ${MASTER_KEY_FILE_VAR} to use ~/.config/slipway/keys/`);
    }
  }
  let found = await readKeyFile(path);
  if (found === undefined || (existing.length > 0 && !existing.includes(keyIdOf(found)))) {
    // A rotation that stopped after re-encrypting leaves the new key staged beside the file.
    const staged = await readKeyFile(stagedPath(path));
    if (staged !== undefined && existing.includes(keyIdOf(staged))) {
      await promoteStaged(path, found === undefined ? undefined : keyIdOf(found));
      found = staged;
    }
  }
  if (found !== undefined) return expectKnown({ key: found, keyId: keyIdOf(found), source: 'file', path, created: false }, existing, `the key file ${path}`);
  if (existing.length > 0) {
    throw new SlipwayError('config', `secrets were encrypted with key id ${existing.join(', ')}; set ${MASTER_KEY_VAR} or restore the key file at ${path}`, 'nothing was decrypted or overwritten; a new key cannot open the existing secrets');
  }
  if (!opts.create) {
    throw new SlipwayError('config', `no master key: ${MASTER_KEY_VAR} is not set and there is no key file at ${path}`, 'run `slipway secrets set ENV NAME` to create one, or set SLIPWAY_MASTER_KEY');
  }
  const key = await createKeyFile(path, generateMasterKey(), opts.home);
  return { key, keyId: keyIdOf(key), source: 'file', path, created: true };
}

function expectKnown(mk: MasterKey, existing: readonly string[], origin: string): MasterKey {
  if (existing.length > 0 && !existing.includes(mk.keyId)) {
    throw new SlipwayError('refused', `${origin} holds the master key with key id ${mk.keyId}, but the secrets were encrypted with key id ${existing.join(', ')}; nothing was decrypted`, mk.source === 'env' ? `set ${MASTER_KEY_VAR} to the key with id ${existing.join(', ')}` : `restore the key file with key id ${existing.join(', ')} at ${mk.path ?? ''}, or set ${MASTER_KEY_VAR}`);
  }
  return mk;
}

/** The key in a key file, or undefined when there is none. Refuses files open to group or others. */
async function readKeyFile(path: string): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new SlipwayError('refused', `the master key file ${path} is a symbolic link`, `replace it with the file itself (chmod 600)`);
    throw new SlipwayError('config', `cannot read the master key file ${path}: ${(e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SlipwayError('config', `the master key file ${path} is not a regular file`);
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new SlipwayError('refused', `the master key file ${path} is readable by group or others (mode ${mode}); it was not used`, `run: chmod 600 ${path}`);
    }
    const lines = (await fh.readFile('utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.length !== 1) throw new SlipwayError('config', `the master key file ${path} must hold exactly one key line; it has ${lines.length}`, 'restore it from your backup');
    return parseMasterKey(lines[0] ?? '', `the master key file ${path}`);
  } finally {
    await fh.close();
  }
}

function keyFileText(key: Buffer, home: string): string {
  return `${KEY_FILE_HEADER} for ${resolve(home)} (key id ${keyIdOf(key)}).\n# Keep it secret, and back it up apart from the home: without it the secrets cannot be read.\n${formatMasterKey(key)}\n`;
}

/** Creates the key file atomically; if another process won the race, its key is used. */
async function createKeyFile(path: string, key: Buffer, home: string): Promise<Buffer> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (createFileOnce(path, keyFileText(key, home), 0o600)) return key;
  const theirs = await readKeyFile(path);
  if (theirs === undefined) throw new SlipwayError('config', `the master key file ${path} vanished while it was being created`, 'run the command again');
  return theirs;
}

/**
 * Installs a key brought from elsewhere (a backup's sealed key) as the key file of `home`, 0600,
 * never over an existing file: refused when one is there with another key. Returns its path.
 */
export async function installKeyFile(home: string, key: Buffer, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = keyFilePath(home, env);
  const kept = await createKeyFile(path, key, home);
  if (!kept.equals(key)) {
    throw new SlipwayError('refused', `the master key file ${path} already holds another key (key id ${keyIdOf(kept)}); it was not overwritten`, 'move it away if it is not needed, then restore again');
  }
  return path;
}

/** Moves the staged key into place, keeping the previous key as `<path>.retired-<key id>`. */
async function promoteStaged(path: string, oldKeyId: string | undefined): Promise<void> {
  if (oldKeyId !== undefined) await rename(path, `${path}.retired-${oldKeyId}`);
  await rename(stagedPath(path), path);
}

export interface StagedKey {
  key: Buffer;
  keyId: string;
  /** Where the new key waits (`<key file>.next`); undefined when the current key came from the environment. */
  stagedAt?: string;
  /** Installs the new key file after the secrets were re-encrypted; the old one stays as `.retired-<key id>`. */
  commit(): Promise<void>;
  /** Deletes the staged key after a failed re-encryption. */
  abandon(): Promise<void>;
}

/**
 * Prepares a new master key for `slipway secrets rotate-key`, written (0600) beside the current
 * key file before any secret is re-encrypted, so that a crash at any point leaves a usable key.
 * Order: stage → SecretsService.rotateKey(staged.key) → commit (or abandon on failure). With a
 * key from SLIPWAY_MASTER_KEY nothing is written: the caller must hand the new key to the user.
 */
export async function stageKeyRotation(current: MasterKey, home: string): Promise<StagedKey> {
  const key = generateMasterKey();
  const keyId = keyIdOf(key);
  if (current.source === 'env' || current.path === undefined) {
    return { key, keyId, commit: () => Promise.resolve(), abandon: () => Promise.resolve() };
  }
  const path = current.path;
  const staged = stagedPath(path);
  await mkdir(dirname(staged), { recursive: true, mode: 0o700 });
  writeFileAtomic(staged, keyFileText(key, home), 0o600);
  return {
    key,
    keyId,
    stagedAt: staged,
    commit: () => promoteStaged(path, current.keyId),
    abandon: () => unlink(staged).catch(() => undefined),
  };
}
