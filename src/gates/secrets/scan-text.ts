// Finds secrets in one file's text: runs every rule, locates each secret by line and column,
// masks it, fingerprints it, and keeps one finding where rules overlap. Pure.

import { createHash } from 'node:crypto';
import { maskSecret } from './mask.js';
import { RULES, type SecretRule } from './rules.js';

export interface SecretFinding {
  /** Path relative to the scanned root (or inside the archive), with '/' separators. */
  file: string;
  /** 1-based line and column of the secret's first character. */
  line: number;
  column: number;
  rule: string;
  description: string;
  /** The secret with all but a public prefix and at most its last 4 characters hidden. */
  masked: string;
  /** Stable id for allowlisting: the first 32 hex digits of sha256(rule NUL file NUL secret). */
  fingerprint: string;
  /**
   * The same for the secret wherever it is (sha256(rule NUL secret), 32 hex digits), so that a
   * secret found in the source and again in the artifact counts once. Not shown in reports.
   */
  secretId: string;
}

/** The fingerprint of a secret found by `rule` in `file`. */
export function fingerprintOf(rule: string, file: string, secret: string): string {
  return createHash('sha256').update(`${rule}\0${file}\0${secret}`).digest('hex').slice(0, 32);
}

interface Hit {
  start: number;
  end: number;
  priority: number;
  rule: SecretRule;
  secret: string;
  match: RegExpExecArray;
}

function secretSpan(rule: SecretRule, m: RegExpExecArray): { start: number; end: number; secret: string } | undefined {
  const groups = typeof rule.group === 'number' ? [rule.group] : rule.group;
  for (const g of groups) {
    const value = m[g];
    const span = m.indices?.[g];
    if (value !== undefined && span !== undefined) return { start: span[0], end: span[1], secret: value };
  }
  return undefined;
}

function hasKeyword(rule: SecretRule, text: string, lower: () => string): boolean {
  if (rule.keywords.length === 0) return true;
  const haystack = rule.keywordsIgnoreCase === true ? lower() : text;
  return rule.keywords.some((k) => haystack.includes(k));
}

/** Line starts, for turning offsets into line and column numbers. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
}

/**
 * Scans one file's text with the given rules (all of Slipway's rules by default).
 *
 * @example
 *   scanText('config/prod.env', envFileText)
 *   // → [{ file: 'config/prod.env', line: 3, column: 13, rule: 'generic-secret', masked: '****', … }]
 */
export function scanText(file: string, text: string, rules: readonly SecretRule[] = RULES): SecretFinding[] {
  let lowered: string | undefined;
  const lower = (): string => (lowered ??= text.toLowerCase());
  const hits: Hit[] = [];
  rules.forEach((rule, priority) => {
    if (!hasKeyword(rule, text, lower)) return;
    // The shared regex is safe to reuse: the loop is synchronous and resets it before and after.
    const re = rule.pattern;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) re.lastIndex++;
      const span = secretSpan(rule, m);
      if (span === undefined) continue;
      if (rule.accept !== undefined && !rule.accept(span.secret, m, file)) continue;
      hits.push({ ...span, priority, rule, match: m });
    }
    re.lastIndex = 0;
  });
  if (hits.length === 0) return [];
  // Where findings overlap, keep the most specific rule's (the earliest in the list).
  hits.sort((a, b) => a.priority - b.priority || a.start - b.start);
  const kept: Hit[] = [];
  for (const h of hits) {
    if (!kept.some((k) => h.start < k.end && k.start < h.end)) kept.push(h);
  }
  kept.sort((a, b) => a.start - b.start);
  const starts = lineStarts(text);
  return kept.map((h) => {
    const { line, column } = position(starts, h.start);
    const prefix = h.rule.prefix?.exec(h.secret)?.[0] ?? '';
    return {
      file,
      line,
      column,
      rule: h.rule.id,
      description: h.rule.description,
      masked: h.rule.mask !== undefined ? h.rule.mask(h.secret, h.match) : maskSecret(h.secret, prefix),
      fingerprint: fingerprintOf(h.rule.id, file, h.secret),
      secretId: createHash('sha256').update(`${h.rule.id}\0${h.secret}`).digest('hex').slice(0, 32),
    };
  });
}
