// A minimal masker for app output (placeholder until src/secrets/mask.ts lands, same API): replaces
// each secret value, and its JSON-escaped, URL-encoded and base64 forms, even when split across chunks.

export const MASK = '***';
/** Base64 cores shorter than this are not masked: they would mangle ordinary output. */
const MIN_BASE64_CORE = 6;

export interface MaskStream {
  /** Masks a chunk; a tail that may be the start of a secret is held back until the next push. */
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
        // Only a tail shorter than the longest form can be the unfinished start of a secret.
        const safe = Math.max(0, text.length - (longest - 1));
        const unfinished = (at: number): boolean => {
          const rest = text.slice(at);
          return forms.some((f) => f.length > rest.length && f.startsWith(rest));
        };
        let out = '';
        let pos = 0;
        let cut = -1;
        pattern.lastIndex = 0;
        for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
          // A complete match that may be the start of a longer form waits for more text.
          if (m.index >= safe && unfinished(m.index)) {
            cut = m.index;
            break;
          }
          out += text.slice(pos, m.index) + MASK;
          pos = m.index + m[0].length;
        }
        if (cut < 0) {
          // Hold back only a tail that could still grow into a secret, so that lines are not delayed.
          cut = Math.max(pos, safe);
          while (cut < text.length && !unfinished(cut)) cut++;
        }
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
