// Refuses secrets written into slipway.yaml: values in a known credential format anywhere in the
// file, and literal values of variables named like secrets. The value itself is never repeated.

import type { RawIssue } from './issues.js';
import type { ConfigPath } from './locate.js';
import { CREDENTIAL_FORMATS, SECRET_NAME } from '../core/config/credentials.js';

export { CREDENTIAL_FORMATS, SECRET_NAME };

const ENV_MAP_PARENTS = new Set(['build', 'gates', 'environments']);

function isEnvMapPath(path: ConfigPath): boolean {
  // build.env, gates.<name>.env, environments.<name>.env
  const root = path[0];
  return path[path.length - 1] === 'env' && typeof root === 'string' && ENV_MAP_PARENTS.has(root);
}

function hintFor(path: ConfigPath, key: string): string {
  const envName = path[0] === 'environments' && typeof path[1] === 'string' ? path[1] : '<env>';
  const listed = path[0] === 'environments' ? '' : ` and list "${key}" under \`secrets:\``;
  return `remove it from slipway.yaml, run \`slipway secrets set ${envName} ${key}\` (it reads the value from stdin)${listed}`;
}

/** Every secret-looking literal in the parsed YAML, each pointing at its place. */
export function findSecretLiterals(data: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (typeof v === 'string') {
      const format = CREDENTIAL_FORMATS.find((f) => f.pattern.test(v));
      if (format) {
        const parent = path.slice(0, -1);
        const key = isEnvMapPath(parent) ? String(path[path.length - 1]) : 'NAME';
        out.push({
          path,
          message: `this value looks like ${format.name}; slipway.yaml must not hold secrets`,
          hint: hintFor(parent, key),
        });
      }
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, i]));
      return;
    }
    if (v !== null && typeof v === 'object') {
      const envMap = isEnvMapPath(path);
      for (const [k, item] of Object.entries(v)) {
        const before = out.length;
        walk(item, [...path, k]);
        const named = envMap && SECRET_NAME.test(k) && typeof item === 'string' && item !== '';
        if (named && out.length === before) {
          out.push({
            path: [...path, k],
            message: `"${k}" is named like a secret but has a literal value; slipway.yaml must not hold secrets`,
            hint: hintFor(path, k),
          });
        }
      }
    }
  };
  walk(data, []);
  return out;
}
