// pnpm-lock.yaml, lockfile versions 5 ("/name/1.0.0_peer@2"), 6 ("/name@1.0.0(peer@2)") and
// 9 ("name@1.0.0"), read from its `packages` map.

import { LineCounter, parseDocument } from 'yaml';
import type { LockedPackage, ParseLockfileResult } from './lockfile-types.js';

/** Splits a packages key into name and version, or undefined when it is not name + version. */
export function splitPnpmKey(key: string): { name: string; version: string } | undefined {
  const k = key.replace(/^\//, '').replace(/\(.*$/, ''); // v6+: peers in parentheses
  // v6 and v9: "name@version", where the name may start with "@scope/".
  const nameStart = k.startsWith('@') ? k.indexOf('/') + 1 : 0;
  const at = k.indexOf('@', Math.max(nameStart, 1));
  if (at !== -1 && !k.slice(nameStart, at).includes('/')) return { name: k.slice(0, at), version: k.slice(at + 1) };
  // v5: "name/version" or "@scope/name/version", peers after "_".
  const plain = k.replace(/_.*$/, '');
  const slash = plain.lastIndexOf('/');
  if (slash <= 0) return undefined;
  return { name: plain.slice(0, slash), version: plain.slice(slash + 1) };
}

/** Parses a pnpm lockfile. */
export function parsePnpmLock(text: string, file: string): ParseLockfileResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const first = doc.errors[0];
  if (first !== undefined) {
    return { ok: false, message: `${file}:${lineCounter.linePos(first.pos[0]).line}: not valid YAML: ${first.message.split('\n')[0] ?? ''}` };
  }
  const root: unknown = doc.toJS();
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return { ok: false, message: `${file}: expected a mapping with "lockfileVersion"` };
  const r = root as Record<string, unknown>;
  if (r.lockfileVersion === undefined) return { ok: false, message: `${file}: no "lockfileVersion": not a pnpm lockfile` };
  const packages = r.packages ?? {};
  if (typeof packages !== 'object' || packages === null || Array.isArray(packages)) return { ok: false, message: `${file}: "packages" is not a mapping` };
  const out: LockedPackage[] = [];
  const warnings: string[] = [];
  for (const [key, entry] of Object.entries(packages as Record<string, unknown>)) {
    const e = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    const split = splitPnpmKey(key);
    const name = typeof e.name === 'string' ? e.name : split?.name;
    const version = typeof e.version === 'string' ? e.version : split?.version;
    if (name === undefined || version === undefined || version === '' || version.includes(':')) {
      warnings.push(`${key}: not a registry package version, not checked`);
      continue;
    }
    out.push({ name, version, path: key, ...(e.dev === true ? { dev: true } : {}), ...(e.optional === true ? { optional: true } : {}) });
  }
  return { ok: true, lockfile: { kind: 'pnpm', packages: out, warnings } };
}
