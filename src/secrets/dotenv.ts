// Reads dotenv files for `slipway config import`: KEY=value lines, `export`, comments, single
// quotes (literal), double quotes (with \n \r \t \" \\ \$ escapes), both of which may span lines,
// and unquoted values with trailing ` # comments`. Pure: the caller reads the file.
//
// Decisions: a key given twice is an error (which one was meant is a guess); `${VAR}` is not
// expanded (values are stored as written); an unknown escape such as `\d` inside double quotes
// is kept as written, backslash included; `KEY=#x` is the value `#x`, `KEY= #x` is empty.

import { ENV_KEY_PATTERN } from '../config/values.js';

export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line of the key. */
  line: number;
}

export interface DotenvError {
  file: string;
  /** 1-based line and column. */
  line: number;
  column: number;
  message: string;
}

export type DotenvResult = { ok: true; entries: DotenvEntry[] } | { ok: false; errors: DotenvError[] };

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };
const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** `file:line:column: message`, as editors and terminals link it. */
export function formatDotenvError(e: DotenvError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

/** Parses a dotenv file's text; `file` names it in errors. Every error is reported, each with its place. */
export function parseDotenv(text: string, file = '.env'): DotenvResult {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const lineStarts = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === '\n') lineStarts.push(i + 1);
  const where = (at: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - (lineStarts[lo] ?? 0) + 1 };
  };

  const entries: DotenvEntry[] = [];
  const errors: DotenvError[] = [];
  const firstLine = new Map<string, number>();
  /** Records an error and returns where parsing goes on. */
  const fail = (at: number, message: string, resume: number): number => {
    errors.push({ file, ...where(at), message });
    return resume;
  };
  const endOfLine = (from: number): number => {
    const nl = src.indexOf('\n', from);
    return nl === -1 ? src.length : nl;
  };

  /** Parses the statement starting at `start`; returns where the next line begins. */
  const statement = (start: number): number => {
    let i = start;
    const eol = endOfLine(i);
    while (isBlank(src[i])) i++;
    if (i === eol || src[i] === '#') return eol + 1;
    const exported = /^export[ \t]+/.exec(src.slice(i, eol));
    if (exported) i += exported[0].length;
    const keyStart = i;
    while (i < eol && !isBlank(src[i]) && src[i] !== '=') i++;
    const key = src.slice(keyStart, i);
    if (key === '') return fail(keyStart, 'missing key name before "="', eol + 1);
    if (!ENV_KEY_PATTERN.test(key)) {
      return fail(keyStart, `invalid key name ${JSON.stringify(key)}: expected letters, digits and _, not starting with a digit`, eol + 1);
    }
    while (isBlank(src[i])) i++;
    if (src[i] !== '=') {
      const found = i === eol ? 'the end of the line' : JSON.stringify(src[i]);
      return fail(i, `expected "=" after ${key}, found ${found}`, eol + 1);
    }
    i++;
    const afterEquals = i;
    while (isBlank(src[i])) i++;

    let value: string;
    let next: number;
    const quote = src[i];
    if (quote === '"' || quote === "'") {
      const open = i;
      let out = '';
      i++;
      for (;;) {
        const c = src[i];
        if (c === undefined) return fail(open, `unterminated ${quote} quote for ${key}: no closing ${quote} before the end of the file`, src.length + 1);
        if (c === quote) break;
        if (quote === '"' && c === '\\' && i + 1 < src.length) {
          const e = src[i + 1] ?? '';
          out += ESCAPES[e] ?? `\\${e}`;
          i += 2;
          continue;
        }
        out += c;
        i++;
      }
      i++;
      const restEnd = endOfLine(i);
      const rest = src.slice(i, restEnd);
      if (!/^[ \t]*(#.*)?$/.test(rest)) {
        const at = i + (rest.length - rest.trimStart().length);
        return fail(at, `unexpected text after the closing ${quote} of ${key}; put a comment after " #"`, restEnd + 1);
      }
      value = out;
      next = restEnd + 1;
    } else if (src[i] === '#' && i > afterEquals) {
      value = '';
      next = eol + 1;
    } else {
      const raw = src.slice(i, eol);
      const comment = /[ \t]#/.exec(raw);
      value = (comment ? raw.slice(0, comment.index) : raw).trimEnd();
      next = eol + 1;
    }

    const { line } = where(keyStart);
    if (value.includes('\0')) return fail(keyStart, `the value of ${key} contains a NUL character`, next);
    const first = firstLine.get(key);
    if (first !== undefined) return fail(keyStart, `duplicate key ${key} (first set on line ${first})`, next);
    firstLine.set(key, line);
    entries.push({ key, value, line });
    return next;
  };

  for (let i = 0; i < src.length; ) i = statement(i);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, entries };
}
