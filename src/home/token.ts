// Access tokens (the control plane's and the proxy's admin API's): random, kept in the Slipway home with mode 0600, compared in
// constant time. Only a process that can read the home (the same user) can talk to the server.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createFileOnce } from '../adapters/fs/files.js';

/** Shortest token accepted from a file: a real one is 43 characters (32 random bytes, base64url). */
const MIN_TOKEN = 32;

/**
 * The token in `file` (the control plane's `<home>/token`, the proxy's `<home>/proxy/token`),
 * created on first use with mode 0600 in a 0700 folder. Safe when several processes start at
 * once: the file appears whole or not at all, exactly one of them creates it, and every caller
 * returns that one token. A file that holds no usable token is an error, never replaced silently.
 */
export const ensureToken = (file: string): string => {
  if (readToken(file) === undefined) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createFileOnce(file, `${randomBytes(32).toString('base64url')}\n`, 0o600);
  }
  const token = readToken(file);
  if (token === undefined || token.length < MIN_TOKEN) throw new Error(`${file} holds no usable token: delete it and start again`);
  return token;
};

export const readToken = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
};

/** Constant-time comparison of a presented bearer token with the expected one. */
export const tokenMatches = (presented: string | undefined, expected: string): boolean => {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
};
