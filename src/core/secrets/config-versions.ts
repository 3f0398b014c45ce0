// Versioned, non-secret config values of an environment (`slipway config set/unset/import`):
// each change makes a new immutable version, so that a config change is a release like any
// other. Pure: the caller stores versions and supplies the time and the actor.

import { CREDENTIAL_FORMATS, SECRET_NAME } from '../config/credentials.js';
import { ENV_KEY_PATTERN } from '../config/values.js';

/** One version of an environment's config values. */
export interface ConfigVersion {
  /** 1 for the first version, then +1 for each change. */
  version: number;
  values: Readonly<Record<string, string>>;
  /** Keys set to a new value or unset by this version, sorted. */
  changedKeys: string[];
  at: string;
  actor: string;
}

export type ConfigChange = { op: 'set'; key: string; value: string } | { op: 'unset'; key: string };

export interface ConfigIssue {
  key: string;
  message: string;
  hint?: string;
}

export type ConfigApply =
  | { ok: true; changed: true; version: ConfigVersion }
  /** Nothing would change: no new version is made (a release that changes nothing is not one). */
  | { ok: true; changed: false; version: ConfigVersion | undefined }
  | { ok: false; errors: ConfigIssue[] };

/** Largest config value in bytes of UTF-8. */
export const MAX_CONFIG_VALUE_BYTES = 64 * 1024;
/**
 * Names Slipway sets itself: PORT is injected per instance (ports are infrastructure settings
 * of the environment), and SLIPWAY_* is kept for Slipway's own variables.
 */
export const RESERVED_CONFIG_KEY = /^(?:PORT|SLIPWAY_.*)$/;

/** Checks a config key; undefined when it is fine. */
export function checkConfigKey(key: string): ConfigIssue | undefined {
  if (!ENV_KEY_PATTERN.test(key)) {
    return { key, message: `invalid config key ${JSON.stringify(key)}: expected letters, digits and _, not starting with a digit` };
  }
  if (RESERVED_CONFIG_KEY.test(key)) {
    return { key, message: `${key} is set by Slipway itself and cannot be a config value`, hint: key === 'PORT' ? 'set the port with `slipway env set <env> port=8080`, or in slipway.yaml (environments.<env>.port)' : 'choose a name without the SLIPWAY_ prefix' };
  }
  return undefined;
}

/**
 * Checks a value for `key`; undefined when it is fine. Values that look like credentials, and
 * literal values of keys named like secrets, are refused: they belong in `slipway secrets`.
 * The value is never repeated in the message.
 */
export function checkConfigValue(key: string, value: string, env = '<env>'): ConfigIssue | undefined {
  const hint = `store it as a secret: slipway secrets set ${env} ${key} (it reads the value from stdin)`;
  if (value.includes('\0')) return { key, message: `the value of ${key} contains a NUL character, which an environment variable cannot hold` };
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_CONFIG_VALUE_BYTES) return { key, message: `the value of ${key} is ${bytes} bytes; at most ${MAX_CONFIG_VALUE_BYTES} are allowed` };
  const format = CREDENTIAL_FORMATS.find((f) => f.pattern.test(value));
  if (format) return { key, message: `the value of ${key} looks like ${format.name}; config values are not secret and are shown in full`, hint };
  if (SECRET_NAME.test(key) && value !== '') return { key, message: `${key} is named like a secret; config values are not secret and are shown in full`, hint };
  return undefined;
}

/**
 * Applies `changes` to `current` (undefined before the first version) and returns the next
 * version, or every problem found (nothing is applied then). Setting a key to its current
 * value or unsetting an absent key changes nothing.
 *
 * @example applyConfigChanges(v3, [{ op: 'set', key: 'LOG_LEVEL', value: 'debug' }], { at, actor: 'alice' })
 */
export function applyConfigChanges(
  current: ConfigVersion | undefined,
  changes: readonly ConfigChange[],
  meta: { at: string; actor: string; env?: string },
): ConfigApply {
  const errors: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const change of changes) {
    if (seen.has(change.key)) errors.push({ key: change.key, message: `${change.key} is changed twice in one update`, hint: 'give each key once' });
    seen.add(change.key);
    const issue = checkConfigKey(change.key) ?? (change.op === 'set' ? checkConfigValue(change.key, change.value, meta.env) : undefined);
    if (issue) errors.push(issue);
  }
  if (errors.length > 0) return { ok: false, errors };

  // A Map, not an object: keys such as __proto__ are valid variable names.
  const values = new Map(Object.entries(current?.values ?? {}));
  const changedKeys: string[] = [];
  for (const change of changes) {
    const before = values.get(change.key);
    if (change.op === 'set' && before !== change.value) {
      values.set(change.key, change.value);
      changedKeys.push(change.key);
    } else if (change.op === 'unset' && before !== undefined) {
      values.delete(change.key);
      changedKeys.push(change.key);
    }
  }
  if (changedKeys.length === 0) return { ok: true, changed: false, version: current };
  const sorted = Object.fromEntries([...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    ok: true,
    changed: true,
    version: { version: (current?.version ?? 0) + 1, values: sorted, changedKeys: changedKeys.sort(), at: meta.at, actor: meta.actor },
  };
}
