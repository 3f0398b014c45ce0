// Reads a lockfile into the list of installed packages, choosing the format by file name (then by
// content). Every malformed form is an error that names the file, and the line where known.

import { basename } from 'node:path';
import type { ParseLockfileResult } from './lockfile-types.js';
import { parseNpmLock } from './lockfile-npm.js';
import { parsePnpmLock } from './lockfile-pnpm.js';
import { parseYarnLock } from './lockfile-yarn.js';

/** "… at position 123" (V8's JSON.parse message) → "line:column" in the text. */
function jsonErrorWhere(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `:${line}:${column}`;
}

function parseJsonLock(text: string, file: string): ParseLockfileResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    return { ok: false, message: `${file}${jsonErrorWhere(text, msg)}: not valid JSON: ${msg}` };
  }
  return parseNpmLock(doc, file);
}

/**
 * Parses package-lock.json / npm-shrinkwrap.json (v1–v3), yarn.lock (v1 and berry) or
 * pnpm-lock.yaml. `filename` picks the format and appears in error messages.
 *
 * @example
 *   const r = parseLockfile(readFileSync('package-lock.json', 'utf8'), 'package-lock.json');
 *   if (r.ok) for (const p of r.lockfile.packages) console.log(p.name, p.version, p.path);
 */
export function parseLockfile(text: string, filename: string): ParseLockfileResult {
  const base = basename(filename);
  if (text.trim() === '') return { ok: false, message: `${filename}: the file is empty` };
  if (base === 'yarn.lock') return parseYarnLock(text, filename);
  if (base === 'pnpm-lock.yaml' || base === 'pnpm-lock.yml') return parsePnpmLock(text, filename);
  if (base.endsWith('.json')) return parseJsonLock(text, filename);
  // Unknown name: guess from the content.
  const start = text.trimStart();
  if (start.startsWith('{')) return parseJsonLock(text, filename);
  if (/^lockfileVersion:/m.test(text)) return parsePnpmLock(text, filename);
  if (start.startsWith('#') || /^__metadata:/m.test(text) || /^"?[@\w].*@.*:\s*$/m.test(text)) return parseYarnLock(text, filename);
  return { ok: false, message: `${filename}: not a lockfile Slipway can read (package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml)` };
}
