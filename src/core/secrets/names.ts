// What a secret may be called and where it may live: names become environment variables, and
// both env and name are part of the key derivation, so they are checked before anything is sealed.
// Environment names follow core/env-name.ts.

import type { NameCheck } from '../env-name.js';

/**
 * The environment whose secrets pipeline steps may read (`secrets: [NAME]` on a step or the
 * build), e.g. `slipway secrets set ci NPM_TOKEN`; reserved, so no deployment target has it.
 */
export const PIPELINE_ENV = 'ci';

/**
 * Where an app's incoming-webhook secret is sealed (`slipway apps webhook APP --secret`);
 * reserved like PIPELINE_ENV, so that no deployment target and no pipeline step can read it.
 */
export const WEBHOOK_ENV = 'slipway-webhooks';
/** The name of the webhook secret in WEBHOOK_ENV. */
export const WEBHOOK_SECRET_NAME = 'WEBHOOK_SECRET';

/** Secret names: upper-case environment variable names. */
export const SECRET_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
/** Longest accepted secret name; environment variable names this long are already unusual. */
export const MAX_SECRET_NAME = 128;
/** Largest secret value, in bytes (after the trailing newline is trimmed). */
export const MAX_SECRET_BYTES = 64 * 1024;


/** Checks a secret name such as `DATABASE_URL`. */
export function checkSecretName(name: string): NameCheck {
  if (name.length > MAX_SECRET_NAME) {
    return { ok: false, message: `secret name is ${name.length} characters long; at most ${MAX_SECRET_NAME} are allowed`, hint: 'choose a shorter name' };
  }
  if (!SECRET_NAME_PATTERN.test(name)) {
    const upper = name.toUpperCase();
    const hint = SECRET_NAME_PATTERN.test(upper) ? `did you mean ${upper}?` : 'use upper-case letters, digits and _, not starting with a digit, e.g. DATABASE_URL';
    return { ok: false, message: `invalid secret name ${JSON.stringify(name)}: expected upper-case letters, digits and _, not starting with a digit`, hint };
  }
  return { ok: true };
}
