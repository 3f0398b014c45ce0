// yarn.lock: the classic v1 format (its own syntax, parsed here line by line) and the YAML of
// yarn 2+ ("berry", recognised by its __metadata entry).

import { parse as parseYaml } from 'yaml';
import type { LockedPackage, ParseLockfileResult } from './lockfile-types.js';

/** 'lodash@^4.17.0' → 'lodash'; '@babel/core@^7' → '@babel/core'; 'x@npm:real@^1' → 'real'. */
function nameOfDescriptor(spec: string): string | undefined {
  const alias = /^(?:@[^/@]+\/)?[^@]+@npm:((?:@[^/@]+\/)?[^@]+)@/.exec(spec);
  if (alias) return alias[1];
  const at = spec.indexOf('@', 1);
  return at === -1 ? undefined : spec.slice(0, at);
}

function splitDescriptors(header: string): string[] {
  return header
    .split(/,\s*/)
    .map((s) => s.trim().replace(/^"(.*)"$/, '$1'))
    .filter((s) => s !== '');
}

/** Parses a classic (v1) yarn.lock. */
export function parseYarnV1(text: string, file: string): ParseLockfileResult {
  const out: LockedPackage[] = [];
  const warnings: string[] = [];
  const lines = text.split(/\r?\n/);
  let current: { header: string; name: string; line: number; version?: string } | undefined;
  const close = (): string | undefined => {
    if (current === undefined) return undefined;
    if (current.version === undefined) return `${file}:${current.line}: entry "${current.header}" has no version`;
    out.push({ name: current.name, version: current.version, path: current.header });
    current = undefined;
    return undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const err = close();
      if (err !== undefined) return { ok: false, message: err };
      if (!line.endsWith(':')) return { ok: false, message: `${file}:${i + 1}: expected an entry header ending in ":", got ${JSON.stringify(line.slice(0, 60))}` };
      const header = line.slice(0, -1);
      const first = splitDescriptors(header)[0];
      const name = first === undefined ? undefined : nameOfDescriptor(first);
      if (name === undefined) return { ok: false, message: `${file}:${i + 1}: cannot read a package name from ${JSON.stringify(header)}` };
      current = { header: splitDescriptors(header).join(', '), name, line: i + 1 };
      continue;
    }
    const m = /^ {2}version:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (m && current !== undefined) current.version = m[1];
  }
  const err = close();
  if (err !== undefined) return { ok: false, message: err };
  return { ok: true, lockfile: { kind: 'yarn-v1', packages: out, warnings } };
}

const LOCAL_PROTOCOLS = new Set(['workspace', 'link', 'portal', 'file']);

/** Parses a yarn 2+ lockfile (YAML). */
export function parseYarnBerry(doc: Record<string, unknown>, file: string): ParseLockfileResult {
  const out: LockedPackage[] = [];
  const warnings: string[] = [];
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata') continue;
    if (typeof entry !== 'object' || entry === null) return { ok: false, message: `${file}: entry "${key}" is not a mapping` };
    const e = entry as Record<string, unknown>;
    const resolution = typeof e.resolution === 'string' ? e.resolution : '';
    const m = /^((?:@[^/@]+\/)?[^@]+)@([a-z]+):/.exec(resolution);
    if (!m) {
      warnings.push(`${key}: no readable resolution, not checked`);
      continue;
    }
    if (LOCAL_PROTOCOLS.has(m[2] as string)) continue;
    const version = typeof e.version === 'string' || typeof e.version === 'number' ? String(e.version) : '';
    if (version === '') {
      warnings.push(`${key}: no version, not checked`);
      continue;
    }
    out.push({ name: m[1] as string, version, path: key });
  }
  return { ok: true, lockfile: { kind: 'yarn-berry', packages: out, warnings } };
}

/** Parses either yarn format, telling them apart by content. */
export function parseYarnLock(text: string, file: string): ParseLockfileResult {
  if (/^__metadata:/m.test(text)) {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      return { ok: false, message: `${file}: not valid YAML: ${(e as Error).message.split('\n')[0] ?? ''}` };
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, message: `${file}: expected a mapping of entries` };
    return parseYarnBerry(doc as Record<string, unknown>, file);
  }
  return parseYarnV1(text, file);
}
