// Keys of slipway.yaml that a pushed branch could use against the processes Slipway starts or
// against Slipway's own objects: JavaScript's object keys anywhere in the file, and loader or
// injection variables (core/secrets/unsafe-keys.ts) in `env:` maps. Checked on the parsed YAML
// before the schema, so that nothing downstream ever holds such a key. There is no override in
// the file: a person who needs one sets it with `slipway config set --allow-unsafe`.

import { PROTOTYPE_KEYS, unsafeKey } from '../core/secrets/unsafe-keys.js';
import type { RawIssue } from './issues.js';

/** Largest slipway.yaml accepted, in bytes: refused with its size before it is parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Every hostile key of the parsed YAML, each pointing at its place. */
export function findHostileKeys(data: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, i]));
      return;
    }
    if (v === null || typeof v !== 'object') return;
    // Every map called `env` is a map of variables (build.env, gates.<name>.env, environments.<name>.env).
    const envMap = path[path.length - 1] === 'env';
    // Own keys only: `Object.keys` lists a `__proto__` key that the YAML parser kept as data.
    for (const k of Object.keys(v)) {
      const unsafe = PROTOTYPE_KEYS.has(k) ? unsafeKey(k) : envMap ? unsafeKey(k) : undefined;
      if (unsafe) {
        out.push({
          path: [...path, k],
          at: 'key',
          message: unsafe.kind === 'prototype' ? `"${k}" is a JavaScript object key and cannot be a key of slipway.yaml` : `${k} changes which code a process loads or runs; slipway.yaml cannot set it`,
          hint: unsafe.kind === 'prototype' ? 'rename or remove it' : 'remove it; if the app really needs it, a person sets it with `slipway config set ENV KEY=VALUE --allow-unsafe` (docs/security.md)',
        });
        continue;
      }
      walk((v as Record<string, unknown>)[k], [...path, k]);
    }
  };
  walk(data, []);
  return out;
}
