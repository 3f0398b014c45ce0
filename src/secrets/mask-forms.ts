// The forms a secret value takes on its way through programs, which the masker (mask.ts) looks for:
// the value and each line of a multi-line value, JSON-escaped (with `\/`, `\u` in either case,
// JSON inside JSON), percent-encoded (the character sets of the common encoders, hex digits in
// either case, `+` or `%20` for a space, every byte encoded), HTML entities (the escapers' named
// and numeric choices, every character as a decimal or hex reference), hex in either case, and
// base64 of the UTF-8 and the UTF-16LE bytes at every alignment, standard and url-safe.
// What is not recognised is listed in docs/config-and-secrets.md ("What masking covers").

export const MIN_MASKED_LENGTH = 4;

export interface SecretForms {
  /** Every form, each once. */
  readonly all: ReadonlySet<string>;
  /** The forms that may appear wrapped across lines (base64 at 76 or 64 columns, hex at 60). */
  readonly wrappable: ReadonlySet<string>;
}

const jsonEscape = (s: string): string => JSON.stringify(s).slice(1, -1);
const hex4 = (c: string): string => c.charCodeAt(0).toString(16).padStart(4, '0');
const urlSafe = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_');

/** JSON string bodies: as JSON.stringify writes them, with non-ASCII as `\uXXXX` (either case), with `/` as `\/` (PHP). */
function jsonForms(s: string): string[] {
  const plain = jsonEscape(s);
  const lower = plain.replace(/[\u007f-\uffff]/g, (c) => `\\u${hex4(c)}`);
  const upper = lower.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\u${h.toUpperCase()}`);
  const once = [plain, lower, upper];
  return [...once, ...once.map((f) => f.replace(/\//g, '\\/')), jsonEscape(plain)]; // the last: JSON inside a JSON string
}

/**
 * Characters each common percent-encoder leaves as they are (all others are %XX of their UTF-8
 * bytes): encodeURIComponent; encodeURI (keeps `/:?#&=+$,;@`); RFC 3986 unreserved (Python
 * `quote(safe='')`, Go, PHP `rawurlencode`); the same keeping `/` (Python `quote`); PHP
 * `urlencode`; Java `URLEncoder`; and nothing at all (a value encoded byte by byte).
 */
const PERCENT_KEEP: readonly RegExp[] = [
  /[A-Za-z0-9\-_.!~*'()]/,
  /[A-Za-z0-9\-_.!~*'();,/?:@&=+$#]/,
  /[A-Za-z0-9\-_.~]/,
  /[A-Za-z0-9\-_.~/]/,
  /[A-Za-z0-9\-_.]/,
  /[A-Za-z0-9\-_.*]/,
  /(?!)/,
];

function percentEncode(s: string, keep: RegExp): string {
  let out = '';
  for (const ch of s) {
    if (ch.length === 1 && ch.charCodeAt(0) < 0x80 && keep.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function percentForms(s: string): string[] {
  const out: string[] = [];
  for (const keep of PERCENT_KEEP) {
    const upper = percentEncode(s, keep);
    const lower = upper.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
    out.push(upper, lower, upper.replace(/%20/g, '+'), lower.replace(/%20/g, '+'));
  }
  return out;
}

/**
 * How HTML escapers write `& < > " '`: lodash and React (`&#39;`), Python `html.escape`
 * (`&#x27;`), PHP `htmlspecialchars` (`&#039;`), Go (`&#34;`, `&#39;`), XML and HTML5 (`&apos;`).
 */
const HTML_ESCAPERS: readonly (readonly [string, string])[] = [
  ['&quot;', '&#39;'],
  ['&quot;', '&#x27;'],
  ['&quot;', '&#039;'],
  ['&#34;', '&#39;'],
  ['&quot;', '&apos;'],
];

function htmlForms(s: string): string[] {
  const out: string[] = [];
  if (/[&<>"']/.test(s)) {
    for (const [quot, apos] of HTML_ESCAPERS) {
      out.push(s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? quot : apos)));
    }
  }
  // Every character as a numeric reference: what e-mail obfuscators and some template engines write.
  const points = [...s].map((c) => c.codePointAt(0) ?? 0);
  out.push(points.map((p) => `&#${p};`).join(''));
  const hex = points.map((p) => `&#x${p.toString(16)};`).join('');
  out.push(hex, hex.replace(/&#x([0-9a-f]+);/g, (_, h: string) => `&#x${h.toUpperCase()};`));
  return out;
}

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

/** Every form of one value, with those that may be wrapped across lines marked. */
export function formsOfValue(value: string): SecretForms {
  const bases = new Set<string>([value]);
  if (value.includes('\n')) {
    bases.add(value.replace(/\r?\n/g, '\r\n')); // what a terminal makes of it
    for (const line of value.split('\n')) bases.add(line.replace(/\r$/, ''));
  }
  const all = new Set<string>();
  const wrappable = new Set<string>();
  const add = (f: string, wrap: boolean): void => {
    if (f.length < MIN_MASKED_LENGTH) return;
    all.add(f);
    if (wrap) wrappable.add(f);
  };
  for (const s of bases) {
    if (s.length < MIN_MASKED_LENGTH) continue;
    add(s, false);
    for (const f of jsonForms(s)) add(f, false);
    for (const f of percentForms(s)) add(f, false);
    for (const f of htmlForms(s)) add(f, false);
    const utf8 = Buffer.from(s, 'utf8');
    const hex = utf8.toString('hex');
    add(hex, true);
    add(hex.toUpperCase(), true);
    for (const f of base64Forms(utf8)) add(f, true);
    for (const f of base64Forms(Buffer.from(s, 'utf16le'))) add(f, true);
  }
  return { all, wrappable };
}
