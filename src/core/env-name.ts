// What an environment may be called: the one rule for slipway.yaml, the CLI, the API, the proxy
// and the runtime. The name becomes a directory name, a URL segment, a metrics label and part of
// a secret's key derivation, so it is one safe path segment at most as long as a DNS label.

/** Lower-case letters, digits, `-` and `_`, starting with a letter or digit: `production`, `staging-eu`. */
export const ENV_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
/** Longest environment name (a DNS label's limit). */
export const MAX_ENV_NAME = 63;
export const ENV_NAME_EXPECTED = `lower-case letters, digits, - and _, starting with a letter or digit, at most ${MAX_ENV_NAME} characters`;

/** The verdict on a name (also used for secret names). */
export type NameCheck = { ok: true } | { ok: false; message: string; hint: string };

/** Checks an environment name such as `production` or `staging-eu`. */
export function checkEnvName(env: string): NameCheck {
  if (env.length > MAX_ENV_NAME || !ENV_NAME_PATTERN.test(env)) {
    return { ok: false, message: `invalid environment name ${JSON.stringify(env)}: expected ${ENV_NAME_EXPECTED}`, hint: 'use the environment name from slipway.yaml, e.g. production' };
  }
  return { ok: true };
}
