// A minimal masker for app output (placeholder until src/secrets/mask.ts lands, same API): replaces
// each secret value, and its JSON-escaped, URL-encoded and base64 forms, even when split across chunks.

export const MASK = '***';
/** Base64 cores shorter than this are not masked: they would mangle ordinary output. */
const MIN_BASE64_CORE = 6;

export interface MaskStream {
  /** Masks a chunk; text that may be the start of a secret is held back until the next push. */
  push(chunk: string): string;
  /** Releases what was held back, masked. */
  end(): string;
}

export interface Masker {
  mask(text: string): string;
  stream(): MaskStream;
}

/** The substrings of base64(prefix + value) that depend only on the value's bytes, for each alignment. */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const first = Math.ceil((8 * k) / 6);
    const last = Math.floor((8 * (k + bytes.length)) / 6); // exclusive
    const core = b64.slice(first, last);
    if (core.length >= MIN_BASE64_CORE) out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every form of a value that should not reach a log. */
export function formsOf(value: string): string[] {
  if (value === '') return [];
  return [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), ...base64Cores(value)];
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Builds a masker for `values`.
 *
 * @example
 * const s = createMasker(['hunter2']).stream();
 * s.push('pass: hun') + s.push('ter2\n') + s.end(); // 'pass: ***\n'
 */
export function createMasker(values: readonly string[]): Masker {
  // Longest first, so that at one position the longest form wins.
  const forms = [...new Set(values.flatMap(formsOf))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return { mask: (t) => t, stream: () => ({ push: (c) => c, end: () => '' }) };
  const longest = forms[0]?.length ?? 1;
  const pattern = new RegExp(forms.map(escapeRe).join('|'), 'g');
  const mask = (text: string): string => text.replace(pattern, MASK);

  const stream = (): MaskStream => {
    let held = '';
    return {
      push(chunk) {
        const text = held + chunk;
        // A secret that is not complete in `text` starts at or after `safe`; everything before
        // can be released once the matches that start there are replaced.
        const safe = Math.max(0, text.length - (longest - 1));
        let out = '';
        let pos = 0;
        pattern.lastIndex = 0;
        for (let m = pattern.exec(text); m !== null && m.index < safe; m = pattern.exec(text)) {
          out += text.slice(pos, m.index) + MASK;
          pos = m.index + m[0].length;
        }
        const cut = Math.max(pos, safe);
        out += text.slice(pos, cut);
        held = text.slice(cut);
        return out;
      },
      end() {
        const rest = mask(held);
        held = '';
        return rest;
      },
    };
  };
  return { mask, stream };
}
