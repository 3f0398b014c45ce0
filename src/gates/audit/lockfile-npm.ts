// package-lock.json / npm-shrinkwrap.json, versions 1, 2 and 3. Versions 2 and 3 list every
// installed package in the flat `packages` map keyed by its folder; version 1 nests
// `dependencies` objects instead.

import type { LockedPackage, Lockfile, ParseLockfileResult } from './lockfile-types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** "node_modules/@s/a/node_modules/b" → "b"; undefined for folders outside node_modules (workspaces). */
function nameFromPath(key: string): string | undefined {
  const i = key.lastIndexOf('node_modules/');
  return i === -1 ? undefined : key.slice(i + 'node_modules/'.length);
}

function fromPackagesMap(packages: Obj, file: string, kind: Lockfile['kind']): ParseLockfileResult {
  const out: LockedPackage[] = [];
  const warnings: string[] = [];
  for (const [key, entry] of Object.entries(packages)) {
    if (key === '') continue; // the project itself
    if (!isObj(entry)) return { ok: false, message: `${file}: packages["${key}"] is not an object` };
    if (entry.link === true) continue; // a symlink to a workspace folder, listed under its own key
    const derived = nameFromPath(key);
    if (derived === undefined) continue; // a workspace package's own folder: local code, not from the registry
    const name = typeof entry.name === 'string' ? entry.name : derived; // `name` is set for aliases
    if (typeof entry.version !== 'string' || entry.version === '') {
      warnings.push(`${key}: no version in the lockfile, not checked`);
      continue;
    }
    out.push({
      name,
      version: entry.version,
      path: key,
      ...(entry.dev === true ? { dev: true } : {}),
      ...(entry.optional === true || entry.devOptional === true ? { optional: true } : {}),
    });
  }
  return { ok: true, lockfile: { kind, packages: out, warnings } };
}

function fromDependencyTree(deps: Obj, file: string): ParseLockfileResult {
  const out: LockedPackage[] = [];
  const warnings: string[] = [];
  const walk = (level: Obj, parent: string): string | undefined => {
    for (const [key, entry] of Object.entries(level)) {
      const path = `${parent}node_modules/${key}`;
      if (!isObj(entry)) return `${file}: dependencies entry "${path}" is not an object`;
      let name = key;
      let version = typeof entry.version === 'string' ? entry.version : '';
      // An alias is written "npm:real-name@1.2.3".
      const alias = /^npm:((?:@[^/@]+\/)?[^@]+)@(.+)$/.exec(version);
      if (alias) {
        name = alias[1] as string;
        version = alias[2] as string;
      }
      if (version === '') warnings.push(`${path}: no version in the lockfile, not checked`);
      else out.push({ name, version, path, ...(entry.dev === true ? { dev: true } : {}), ...(entry.optional === true ? { optional: true } : {}) });
      if (entry.dependencies !== undefined) {
        if (!isObj(entry.dependencies)) return `${file}: "${path}".dependencies is not an object`;
        const err = walk(entry.dependencies, `${path}/`);
        if (err !== undefined) return err;
      }
    }
    return undefined;
  };
  const err = walk(deps, '');
  return err !== undefined ? { ok: false, message: err } : { ok: true, lockfile: { kind: 'npm-v1', packages: out, warnings } };
}

/** Parses an npm lockfile already read as JSON. */
export function parseNpmLock(doc: unknown, file: string): ParseLockfileResult {
  if (!isObj(doc)) return { ok: false, message: `${file}: expected a JSON object with "lockfileVersion"` };
  const v = doc.lockfileVersion;
  if (v !== 1 && v !== 2 && v !== 3) {
    return { ok: false, message: `${file}: lockfileVersion is ${JSON.stringify(v) ?? 'missing'}; versions 1, 2 and 3 are supported` };
  }
  if (v === 1) {
    if (doc.dependencies === undefined) return { ok: true, lockfile: { kind: 'npm-v1', packages: [], warnings: [] } };
    if (!isObj(doc.dependencies)) return { ok: false, message: `${file}: "dependencies" is not an object` };
    return fromDependencyTree(doc.dependencies, file);
  }
  if (!isObj(doc.packages)) return { ok: false, message: `${file}: lockfileVersion ${v} needs a "packages" object` };
  return fromPackagesMap(doc.packages, file, v === 2 ? 'npm-v2' : 'npm-v3');
}
