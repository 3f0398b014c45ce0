// Masks secret values in everything Slipway writes or shows, in every form of mask-forms.ts, also
// when a value is split across output chunks, and base64 or hex wrapped across lines (MIME at 76
// columns, PEM at 64, `xxd -p` at 60).
//
// Decisions: a match becomes `****` (the name is not shown: a base64 fragment or a single line
// would be mislabelled, and the mark must not help guess anything); a wrapped match becomes one
// `****` per line, so that line structure is kept. Forms shorter than MIN_MASKED_LENGTH (4)
// characters are not masked: a 1–3 character "secret" would blank out ordinary words and numbers
// everywhere and is not a secret worth the name. What cannot be masked is listed in
// docs/config-and-secrets.md.

import type { Masker } from '../ports/env-config.js';
import { formsOfValue } from './mask-forms.js';

export { MIN_MASKED_LENGTH } from './mask-forms.js';
export const MASK = '****';

/** Every form of one value that is masked, longest first, each at least MIN_MASKED_LENGTH long. */
export function secretForms(value: string): string[] {
  return [...formsOfValue(value).all].sort((a, b) => b.length - a.length);
}

export type { Masker, MaskStream } from '../ports/env-config.js';

/** Line widths at which encoders wrap: MIME base64 (RFC 2045), PEM (RFC 7468), `xxd -p`. */
const WRAP_WIDTHS = new Set([76, 64, 60]);
/** Context a stream keeps before its held text, so that a wrapped line's width can be checked. */
const CONTEXT = 80;
const LF = 10;
const CR = 13;
/** Base64 (both alphabets, padding) and hex characters. */
const isEncodedChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61 || c === 45 || c === 95;

/** True when the line ending at `end` (where a line break starts) is a full line of a wrapped block. */
function wrappedLineEndsAt(text: string, end: number): boolean {
  let start = end;
  while (start > 0 && isEncodedChar(text.charCodeAt(start - 1))) start--;
  return (start === 0 || text.charCodeAt(start - 1) === LF) && WRAP_WIDTHS.has(end - start);
}

/** A match result: the length of text matched, NONE, or MORE when the text ends while it still matches. */
const NONE = 0;
const MORE = -1;

/** Matches form `f` at `i`, crossing line breaks of a wrapped block when `wrap`. */
function matchForm(text: string, i: number, f: string, wrap: boolean): number {
  if (text.startsWith(f, i)) return f.length;
  const n = text.length;
  let j = i;
  for (let k = 0; k < f.length; ) {
    if (j >= n) return MORE;
    const c = text.charCodeAt(j);
    if (c === f.charCodeAt(k)) {
      j++;
      k++;
    } else if (wrap && k > 0 && (c === LF || c === CR)) {
      if (!wrappedLineEndsAt(text, j)) return NONE;
      if (c === CR) {
        if (j + 1 >= n) return MORE;
        if (text.charCodeAt(j + 1) !== LF) return NONE;
        j++;
      }
      j++;
    } else {
      return NONE;
    }
  }
  return j - i;
}

/**
 * Slipway's own API tokens, by their form (`slw_` and 43 base64url characters, core/auth/tokens.ts):
 * masked wherever they appear, whether or not this masker was given their value (it never is: the
 * store keeps only their hashes). The length matched, NONE, or MORE when the text ends too soon.
 */
const API_TOKEN_PREFIX = 'slw_';
const API_TOKEN_LENGTH = API_TOKEN_PREFIX.length + 43;
const isTokenChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
function matchApiToken(text: string, i: number, final: boolean): number {
  for (let k = 0; k <= API_TOKEN_LENGTH; k++) {
    if (i + k >= text.length) return final ? (k === API_TOKEN_LENGTH ? k : NONE) : MORE;
    const c = text.charCodeAt(i + k);
    if (k === API_TOKEN_LENGTH) return isTokenChar(c) ? NONE : k;
    if (k < API_TOKEN_PREFIX.length ? c !== API_TOKEN_PREFIX.charCodeAt(k) : !isTokenChar(c)) return NONE;
  }
  return NONE;
}
const S = 's'.charCodeAt(0);

/** `****` for a wrapped match: one per line, keeping the line breaks. */
const maskedLines = (piece: string): string => piece.replace(/[^\r\n]+/g, MASK);

/**
 * A masker for the given secret values (`createMasker(Object.values(resolved.values))`).
 * Scanning is one pass over the text with a two-character prefilter, so cost grows with the
 * text, hardly with the number of secrets.
 */
export function createMasker(values: readonly string[]): Masker {
  const all = new Set<string>();
  const wrappable = new Set<string>();
  for (const v of new Set(values)) {
    const f = formsOfValue(v);
    for (const x of f.all) all.add(x);
    for (const x of f.wrappable) wrappable.add(x);
  }
  const sorted = [...all].sort((a, b) => b.length - a.length);
  // Forms by their first two characters (all forms have at least four), longest first; a
  // wrappable form also under its first character followed by a line break.
  const byPair = new Map<number, string[]>();
  const byFirst = new Set<number>();
  const filter = new Uint8Array(1 << 16);
  const index = (c0: number, c1: number, f: string): void => {
    const pair = c0 * 0x10000 + c1;
    const list = byPair.get(pair);
    if (list) list.push(f);
    else byPair.set(pair, [f]);
    filter[((c0 & 0xff) << 8) | (c1 & 0xff)] = 1;
  };
  for (const f of sorted) {
    const c0 = f.charCodeAt(0);
    byFirst.add(c0);
    index(c0, f.charCodeAt(1), f);
    if (wrappable.has(f)) {
      index(c0, LF, f);
      index(c0, CR, f);
    }
  }

  /** The length of the form matched last: a longer match crossed line breaks. */
  let formLength = 0;
  /** Length of the longest form at `i`, NONE, or MORE (unless `final`) when the text ends too soon to tell. */
  const matchAt = (text: string, i: number, final: boolean): number => {
    const c0 = text.charCodeAt(i);
    if (c0 === S) {
      const t = matchApiToken(text, i, final);
      if (t === MORE) return MORE;
      if (t > 0) {
        formLength = t;
        return t;
      }
    }
    if (i + 1 >= text.length) return !final && byFirst.has(c0) ? MORE : NONE;
    const c1 = text.charCodeAt(i + 1);
    if (filter[((c0 & 0xff) << 8) | (c1 & 0xff)] === 0) return NONE;
    const list = byPair.get(c0 * 0x10000 + c1);
    if (list) {
      for (const f of list) {
        const r = matchForm(text, i, f, wrappable.has(f));
        formLength = f.length;
        if (r > 0 || (r === MORE && !final)) return r;
      }
    }
    return NONE;
  };

  /**
   * Masks `text` from `from` on (what comes before is context only); unless `final`, stops where
   * a secret could begin but the text ends first, and returns that position as `held`.
   */
  const scan = (text: string, from: number, final: boolean): { out: string; held: number } => {
    const n = text.length;
    let out = '';
    let emitted = from;
    let i = from;
    while (i < n) {
      const len = matchAt(text, i, final);
      if (len === MORE) return { out: out + text.slice(emitted, i), held: i };
      if (len > 0) {
        out += text.slice(emitted, i) + (len === formLength ? MASK : maskedLines(text.slice(i, i + len)));
        i += len;
        emitted = i;
      } else {
        i++;
      }
    }
    return { out: out + text.slice(emitted), held: n };
  };

  return {
    forms: sorted.length,
    mask: (text) => scan(text, 0, true).out,
    stream() {
      let context = '';
      let held = '';
      const run = (chunk: string, final: boolean): string => {
        const text = context + held + chunk;
        const r = scan(text, context.length, final);
        context = text.slice(Math.max(0, r.held - CONTEXT), r.held);
        held = text.slice(r.held);
        return r.out;
      };
      return {
        push: (chunk) => run(chunk, false),
        end() {
          const out = run('', true);
          context = '';
          return out;
        },
      };
    },
  };
}
