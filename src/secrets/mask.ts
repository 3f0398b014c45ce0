// Masks secret values in everything Slipway writes or shows: the value, each line of a
// multi-line value, and the forms a value takes on its way through programs (base64 at any
// alignment, JSON- and URL-escaped), also when a value is split across output chunks.
//
// Decisions: a match becomes `****` (the name is not shown: a base64 fragment or a single line
// would be mislabelled, and the mark must not help guess anything). Forms shorter than
// MIN_MASKED_LENGTH (4) characters are not masked: a 1–3 character "secret" would blank out
// ordinary words and numbers everywhere and is not a secret worth the name. Limits: base64
// wrapped across lines (MIME, PEM of a whole value) and encodings other than those below are
// not recognised.

export const MASK = '****';
export const MIN_MASKED_LENGTH = 4;

const jsonEscape = (s: string): string => JSON.stringify(s).slice(1, -1);
const jsonAsciiEscape = (s: string): string => jsonEscape(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const urlSafe = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_');

/**
 * The base64 forms of `bytes`: standalone (padded and not), and for each of the three
 * alignments the value can have inside a longer base64 stream, the characters that depend on
 * its bytes alone — in the standard and the url-safe alphabet.
 */
function base64Forms(bytes: Buffer): string[] {
  const whole = bytes.toString('base64');
  const out = [whole, whole.replace(/=+$/, '')];
  for (const offset of [0, 1, 2]) {
    const enc = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters before `first` mix in the unknown bytes before the value; those from `end` on, the bytes after it.
    const first = [0, 2, 3][offset] ?? 0;
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    out.push(enc.slice(first, end));
  }
  return [...out, ...out.map(urlSafe)];
}

function urlForms(s: string): string[] {
  try {
    const enc = encodeURIComponent(s);
    return [enc, enc.replace(/%20/g, '+')];
  } catch {
    return []; // a lone surrogate cannot be URL-encoded, so it never appears that way
  }
}

/** Every form of one value that is masked, longest first, each at least MIN_MASKED_LENGTH long. */
export function secretForms(value: string): string[] {
  const bases = new Set<string>([value]);
  if (value.includes('\n')) {
    bases.add(value.replace(/\r?\n/g, '\r\n')); // what a terminal makes of it
    for (const line of value.split('\n')) bases.add(line.replace(/\r$/, ''));
  }
  const forms = new Set<string>();
  for (const s of bases) {
    if (s.length < MIN_MASKED_LENGTH) continue;
    forms.add(s);
    forms.add(jsonEscape(s));
    forms.add(jsonAsciiEscape(s));
    forms.add(jsonEscape(jsonEscape(s))); // JSON inside a JSON string, common in structured logs
    for (const f of urlForms(s)) forms.add(f);
    for (const f of base64Forms(Buffer.from(s, 'utf8'))) forms.add(f);
  }
  return [...forms].filter((f) => f.length >= MIN_MASKED_LENGTH).sort((a, b) => b.length - a.length);
}

export interface MaskStream {
  /** Masks what can be decided now; holds back a tail that could still be the start of a secret. */
  push(chunk: string): string;
  /** Masks and returns whatever was held back. The stream can be reused after it. */
  end(): string;
}

export interface Masker {
  /** Replaces every occurrence of every form with `****` (leftmost, longest first). */
  mask(text: string): string;
  /** A masker for text that arrives in chunks: concatenating its outputs equals `mask(all text)`. */
  stream(): MaskStream;
  /** Number of distinct forms being looked for. */
  readonly forms: number;
}

/**
 * A masker for the given secret values (`createMasker(Object.values(resolved.values))`).
 * Scanning is one pass over the text with a two-character prefilter, so cost grows with the
 * text, hardly with the number of secrets.
 */
export function createMasker(values: readonly string[]): Masker {
  const all = [...new Set(values.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  const maxLen = all[0]?.length ?? 0;
  // Forms by their first two characters (all forms have at least four), longest first.
  const byPair = new Map<number, string[]>();
  const byFirst = new Map<number, string[]>();
  const filter = new Uint8Array(1 << 16);
  for (const f of all) {
    const c0 = f.charCodeAt(0);
    const c1 = f.charCodeAt(1);
    const pair = c0 * 0x10000 + c1;
    byPair.set(pair, [...(byPair.get(pair) ?? []), f]);
    byFirst.set(c0, [...(byFirst.get(c0) ?? []), f]);
    filter[((c0 & 0xff) << 8) | (c1 & 0xff)] = 1;
  }

  /** Length of the longest form at `i`, or 0. */
  const matchAt = (text: string, i: number): number => {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    if (filter[((c0 & 0xff) << 8) | (c1 & 0xff)] === 0) return 0;
    const list = byPair.get(c0 * 0x10000 + c1);
    if (list) for (const f of list) if (text.startsWith(f, i)) return f.length;
    return 0;
  };

  /** True when the text from `i` to its end is a proper prefix of some form: the next chunk decides. */
  const couldStart = (text: string, i: number): boolean => {
    const rest = text.length - i;
    const list = byFirst.get(text.charCodeAt(i));
    if (!list) return false;
    outer: for (const f of list) {
      if (f.length <= rest) break; // longest first: the remaining ones are complete in the text
      for (let k = 1; k < rest; k++) if (f.charCodeAt(k) !== text.charCodeAt(i + k)) continue outer;
      return true;
    }
    return false;
  };

  /** Masks `text`; unless `final`, stops where a secret could begin but the text ends first. */
  const scan = (text: string, final: boolean): { out: string; rest: string } => {
    const n = text.length;
    const tail = final ? n : n - maxLen + 1;
    let out = '';
    let emitted = 0;
    let i = 0;
    while (i < n) {
      if (i >= tail && couldStart(text, i)) return { out: out + text.slice(emitted, i), rest: text.slice(i) };
      const len = matchAt(text, i);
      if (len > 0) {
        out += text.slice(emitted, i) + MASK;
        i += len;
        emitted = i;
      } else {
        i++;
      }
    }
    return { out: out + text.slice(emitted), rest: '' };
  };

  return {
    forms: all.length,
    mask: (text) => (all.length === 0 ? text : scan(text, true).out),
    stream() {
      let held = '';
      return {
        push(chunk) {
          if (all.length === 0) return chunk;
          const r = scan(held + chunk, false);
          held = r.rest;
          return r.out;
        },
        end() {
          const r = scan(held, true);
          held = '';
          return r.out;
        },
      };
    },
  };
}
