// The secret scan's allowlist: entries that accept a finding by path glob, rule id and/or
// fingerprint, each with the reason a person gave. Parsed from YAML (or JSON, which is YAML) with
// line numbers in every error; applied to findings as a pure function.

import { LineCounter, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import { globToRegExp } from './glob.js';
import { RULES } from './rules.js';
import type { SecretFinding } from './scan-text.js';

export interface AllowlistEntry {
  path?: string;
  rule?: string;
  fingerprint?: string;
  reason: string;
  /** ISO date after which the entry no longer applies. */
  expires?: string;
  /** Where the entry is written: "file:line". */
  source: string;
}

export interface Allowlist {
  entries: AllowlistEntry[];
}

export type ParseAllowlistResult = { ok: true; allowlist: Allowlist } | { ok: false; errors: string[] };

const KEYS = new Set(['path', 'rule', 'fingerprint', 'reason', 'expires']);
const RULE_IDS = new Set(RULES.map((r) => r.id));

/** An allowlist that allows nothing. */
export const EMPTY_ALLOWLIST: Allowlist = { entries: [] };

/**
 * Parses an allowlist file:
 *
 * ```yaml
 * allow:
 *   - path: "test/fixtures/**"
 *     reason: fake keys for the parser tests
 *   - rule: jwt
 *     path: docs/
 *     reason: example tokens signed with a throwaway key
 *     expires: 2026-12-31
 *   - fingerprint: 5d0c2f1e9a7b3c4d5e6f708192a3b4c5
 *     reason: revoked demo key kept in the tutorial
 * ```
 */
export function parseAllowlist(text: string, fileName: string): ParseAllowlistResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined): string => `${fileName}:${offset === undefined ? 1 : lineCounter.linePos(offset).line}`;
  const atNode = (node: unknown): string => at(isNode(node) ? node.range?.[0] : undefined);
  if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0] ?? ''}`) };
  const root = doc.contents;
  if (root === null) return { ok: true, allowlist: { entries: [] } };
  if (!isMap(root)) return { ok: false, errors: [`${atNode(root)}: expected a mapping with an "allow" list`] };
  const errors: string[] = [];
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'allow' && key !== 'version') errors.push(`${atNode(pair.key)}: unknown key "${key}" (expected "allow")`);
  }
  const list = root.get('allow', true);
  if (list === undefined || list === null) return errors.length > 0 ? { ok: false, errors } : { ok: true, allowlist: { entries: [] } };
  if (!isSeq(list)) return { ok: false, errors: [...errors, `${atNode(list)}: "allow" must be a list`] };
  const entries: AllowlistEntry[] = [];
  list.items.forEach((item, i) => {
    const where = `${atNode(item)}: allow[${i}]`;
    const value: unknown = isMap(item) ? item.toJSON() : undefined;
    if (typeof value !== 'object' || value === null) {
      errors.push(`${where} must be a mapping with "reason" and at least one of path, rule, fingerprint`);
      return;
    }
    const e = value as Record<string, unknown>;
    const before = errors.length;
    for (const k of Object.keys(e)) if (!KEYS.has(k)) errors.push(`${where} has an unknown key "${k}" (allowed: ${[...KEYS].join(', ')})`);
    for (const k of ['path', 'rule', 'fingerprint', 'reason']) {
      if (e[k] !== undefined && typeof e[k] !== 'string') errors.push(`${where}.${k} must be a string (put it in quotes)`);
    }
    const reason = typeof e.reason === 'string' ? e.reason.trim() : '';
    if (reason === '') errors.push(`${where} has no reason: say why this finding is not a secret or is accepted`);
    if (e.path === undefined && e.rule === undefined && e.fingerprint === undefined) errors.push(`${where} needs at least one of path, rule, fingerprint`);
    if (typeof e.rule === 'string' && !RULE_IDS.has(e.rule)) errors.push(`${where}.rule "${e.rule}" is not a rule id (known: ${[...RULE_IDS].join(', ')})`);
    if (typeof e.fingerprint === 'string' && !/^[0-9a-f]{32}$/.test(e.fingerprint)) errors.push(`${where}.fingerprint must be the 32 hex digits shown in a finding`);
    if (typeof e.path === 'string') {
      try {
        globToRegExp(e.path);
      } catch (err) {
        errors.push(`${where}.path: ${(err as Error).message}`);
      }
    }
    let expires: string | undefined;
    if (e.expires !== undefined) {
      expires = e.expires instanceof Date ? e.expires.toISOString().slice(0, 10) : typeof e.expires === 'string' ? e.expires : '';
      if (Number.isNaN(Date.parse(expires))) errors.push(`${where}.expires must be a date such as 2026-12-31`);
    }
    if (errors.length > before) return;
    entries.push({
      ...(typeof e.path === 'string' ? { path: e.path } : {}),
      ...(typeof e.rule === 'string' ? { rule: e.rule } : {}),
      ...(typeof e.fingerprint === 'string' ? { fingerprint: e.fingerprint } : {}),
      ...(expires !== undefined ? { expires } : {}),
      reason,
      source: where.slice(0, where.lastIndexOf(':')),
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, allowlist: { entries } };
}

export interface AllowedFinding {
  finding: SecretFinding;
  reason: string;
  source: string;
}

export interface AllowlistOutcome {
  findings: SecretFinding[];
  allowed: AllowedFinding[];
  /** Entries past their `expires` date: they no longer apply. */
  expired: AllowlistEntry[];
  /** Entries that matched nothing: candidates for removal. */
  unused: AllowlistEntry[];
}

/** Compiles an allowlist into a predicate-friendly form (globs compiled once). */
export function compileAllowlist(allowlist: Allowlist, now: Date = new Date()): {
  match: (f: SecretFinding) => AllowlistEntry | undefined;
  active: AllowlistEntry[];
  expired: AllowlistEntry[];
} {
  const active: AllowlistEntry[] = [];
  const expired: AllowlistEntry[] = [];
  for (const e of allowlist.entries) {
    // An entry expiring on a date still applies during that whole day (UTC).
    if (e.expires !== undefined && Date.parse(e.expires) + (e.expires.length <= 10 ? 86_400_000 : 0) <= now.getTime()) expired.push(e);
    else active.push(e);
  }
  const compiled = active.map((e) => ({ e, re: e.path !== undefined ? globToRegExp(e.path) : undefined }));
  return {
    active,
    expired,
    match: (f) =>
      compiled.find(
        ({ e, re }) =>
          (e.rule === undefined || e.rule === f.rule) &&
          (e.fingerprint === undefined || e.fingerprint === f.fingerprint) &&
          (re === undefined || re.test(f.file)),
      )?.e,
  };
}

/** Splits findings into those still reported and those an allowlist entry accepts. */
export function applyAllowlist(findings: readonly SecretFinding[], allowlist: Allowlist, now: Date = new Date()): AllowlistOutcome {
  const { match, active, expired } = compileAllowlist(allowlist, now);
  const used = new Set<AllowlistEntry>();
  const out: AllowlistOutcome = { findings: [], allowed: [], expired, unused: [] };
  for (const f of findings) {
    const e = match(f);
    if (e === undefined) out.findings.push(f);
    else {
      used.add(e);
      out.allowed.push({ finding: f, reason: e.reason, source: e.source });
    }
  }
  out.unused = active.filter((e) => !used.has(e));
  return out;
}
