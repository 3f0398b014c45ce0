// What a secret value may be: it becomes an environment variable of a process, so it must be
// non-empty UTF-8 text without NUL bytes, and small enough to pass through the environment.

import { MAX_SECRET_BYTES } from './names.js';

export type ValueCheck = { ok: true; value: Buffer } | { ok: false; message: string; hint: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks a value read for `slipway secrets set`. Unless `exact`, ONE trailing newline ("\n" or
 * "\r\n") is removed first: `echo "$TOKEN" | slipway secrets set …` and a file ending with a
 * newline then store the token itself. A value that truly ends with a newline is stored with
 * `exact`, or with two newlines on stdin.
 */
export function checkSecretValue(input: Buffer, opts: { exact?: boolean } = {}): ValueCheck {
  let value = input;
  if (!opts.exact && value.at(-1) === 0x0a) value = value.subarray(0, value.at(-2) === 0x0d ? -2 : -1);
  if (value.length === 0) {
    return { ok: false, message: 'the secret value is empty', hint: 'pass the value on stdin, e.g. printf %s "$VALUE" | slipway secrets set ENV NAME' };
  }
  if (value.length > MAX_SECRET_BYTES) {
    return { ok: false, message: `the secret value is ${value.length} bytes; at most ${MAX_SECRET_BYTES} bytes (64 KiB) are allowed`, hint: 'keep large files in the artifact or on disk and store only a key or path as the secret' };
  }
  if (value.includes(0)) {
    return { ok: false, message: 'the secret value contains a NUL byte, which an environment variable cannot hold', hint: 'base64-encode binary values and decode them in the app' };
  }
  try {
    utf8.decode(value);
  } catch {
    return { ok: false, message: 'the secret value is not valid UTF-8 text', hint: 'base64-encode binary values and decode them in the app' };
  }
  return { ok: true, value: Buffer.from(value) };
}
