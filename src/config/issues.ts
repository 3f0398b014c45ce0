// Turns zod's issues into plain, located-later problems a person can act on: one message per
// problem, what was expected, and a hint ("did you mean `canary`?"), with unions explained by the
// branch the input was closest to.

import * as z from 'zod';
import type { core } from 'zod';
import { configSchema } from './schema.js';
import { formatPath, valueAt, type ConfigPath } from './locate.js';
import { didYouMean } from './suggest.js';

/** A problem before it is given a file, line and column. */
export interface RawIssue {
  path: ConfigPath;
  message: string;
  expected?: string | undefined;
  hint?: string | undefined;
  /** Point at the key of the last path segment rather than its value. */
  at?: 'key' | 'value';
  /** Where to point when it is not `path` (an unknown key is reported on its map, shown at the key). */
  locatePath?: ConfigPath;
  /** The keys whose absence from map `map` this problem is about, so that a typo of one can explain it instead. */
  missing?: { map: ConfigPath; keys: string[] };
}

/** Returned by the per-parse error map: a message equal to it was not written by our schema. */
export const NO_SCHEMA_MESSAGE = '\u0000';

type Issue = core.$ZodIssue;

const KIND_NAMES: Record<string, string> = {
  object: 'a map',
  record: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** How YAML people would name the kind of a value. */
export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  return 'a string';
}

/** Short, quoted rendering of a value for a message; long values are cut (they may be pasted secrets). */
export function show(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** The object keys valid at `path` in the schema (every branch of a union, together). */
export function knownKeysAt(path: ConfigPath): string[] {
  let schemas: core.$ZodType[] = [configSchema];
  const unwrap = (s: core.$ZodType): core.$ZodType[] => {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return unwrap(s.unwrap());
    if (s instanceof z.ZodUnion) return (s.options as core.$ZodType[]).flatMap(unwrap);
    return [s];
  };
  for (const seg of path) {
    schemas = schemas.flatMap(unwrap).flatMap((s): core.$ZodType[] => {
      if (s instanceof z.ZodObject && typeof seg === 'string') {
        const child = (s.shape as Record<string, core.$ZodType | undefined>)[seg];
        return child ? [child] : [];
      }
      if (s instanceof z.ZodRecord) return [s.valueType];
      if (s instanceof z.ZodArray && typeof seg === 'number') return [s.element];
      return [];
    });
  }
  const keys = schemas.flatMap(unwrap).flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape) : []));
  return [...new Set(keys)];
}

const own = (message: string): string | undefined => (message === NO_SCHEMA_MESSAGE ? undefined : message);

/** How well a union branch fits the input: lower is better; 100 and more means not at all. */
function misfit(issues: Issue[]): number {
  let score = 0;
  for (const i of issues) {
    if (i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')) score += 100;
    else if (i.code === 'unrecognized_keys') score += i.keys.length;
    else score += 1;
  }
  return score;
}

/**
 * Explains each zod issue, relative to `data` (the parsed YAML). `unionExpected` is what the
 * enclosing union accepts, shown for problems at the union's own level.
 */
export function explainIssues(issues: readonly Issue[], data: unknown, base: ConfigPath = [], unionExpected?: string): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    const value = valueAt(data, path);
    const atUnionRoot = unionExpected !== undefined && issue.path.length === 0 ? unionExpected : undefined;
    switch (issue.code) {
      case 'invalid_type': {
        const kind = KIND_NAMES[issue.expected] ?? issue.expected;
        const expected = own(issue.message) ?? atUnionRoot;
        const last = path[path.length - 1];
        if (value === undefined && typeof last === 'string') {
          out.push({ path, message: `missing required key "${last}"`, expected: expected ?? kind, missing: { map: path.slice(0, -1), keys: [last] } });
        } else {
          const quotedNumber = typeof value === 'string' && (issue.expected === 'number' || issue.expected === 'int') && /^\d+(\.\d+)?$/.test(value);
          out.push({
            path,
            message: `expected ${kind}, got ${kindOf(value)}`,
            expected,
            hint: quotedNumber ? 'write the number without quotes' : undefined,
          });
        }
        break;
      }
      case 'unrecognized_keys': {
        const known = knownKeysAt(path);
        for (const key of issue.keys) {
          const guess = didYouMean(key, known);
          out.push({
            path,
            message: `unknown key "${key}"`,
            expected: atUnionRoot ?? (known.length ? `one of ${known.join(', ')}` : undefined),
            hint: guess ? `did you mean "${guess}"?` : undefined,
            at: 'key',
            locatePath: [...path, key],
          });
        }
        break;
      }
      case 'invalid_value': {
        const values = issue.values.map(String);
        const guess = typeof value === 'string' ? didYouMean(value, values) : undefined;
        out.push({
          path,
          message: `unexpected value ${show(value)}`,
          expected: own(issue.message) ?? `one of ${values.join(', ')}`,
          hint: guess ? `did you mean "${guess}"?` : undefined,
        });
        break;
      }
      case 'invalid_union': {
        const branches = issue.errors.map((errs) => ({ errs, score: misfit(errs) }));
        const best = branches.reduce((a, b) => (b.score < a.score ? b : a), branches[0] ?? { errs: [], score: 100 });
        if (best.score < 100) {
          out.push(...explainIssues(best.errs, data, path, own(issue.message)));
        } else {
          const literals = issue.errors.flat().flatMap((i) => (i.code === 'invalid_value' ? i.values.map(String) : []));
          const guess = typeof value === 'string' ? didYouMean(value, literals) : undefined;
          out.push({
            path,
            message: value === undefined ? `missing required key "${String(path[path.length - 1])}"` : `unexpected value ${show(value)}`,
            expected: own(issue.message),
            hint: guess ? `did you mean "${guess}"?` : undefined,
          });
        }
        break;
      }
      case 'invalid_key': {
        const inner = issue.issues[0];
        out.push({
          path,
          message: `invalid name "${String(path[path.length - 1])}"`,
          expected: inner ? own(inner.message) : undefined,
          at: 'key',
        });
        break;
      }
      case 'too_small':
      case 'too_big': {
        const empty = issue.code === 'too_small' && Number(issue.minimum) <= 1 && issue.origin !== 'number';
        const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
        out.push({
          path,
          message: empty ? 'must not be empty' : `${show(value)} is too ${issue.code === 'too_small' ? 'small' : 'large'}`,
          expected: own(issue.message) ?? (issue.origin === 'array' ? `${bound} items` : bound),
        });
        break;
      }
      case 'custom': {
        const params = (issue.params ?? {}) as { expected?: string; hint?: string; at?: 'key'; missing?: string[] };
        out.push({
          path,
          message: issue.message,
          expected: params.expected ?? atUnionRoot,
          hint: params.hint,
          ...(params.at ? { at: params.at } : {}),
          ...(params.missing ? { missing: { map: path, keys: params.missing } } : {}),
        });
        break;
      }
      default:
        out.push({ path, message: own(issue.message) ? `invalid value ${show(value)}` : issue.message, expected: own(issue.message) });
    }
  }
  return out;
}

/** Drops "missing key X" when a misspelt key right beside it was probably meant to be X. */
export function dropExplainedMissing(issues: RawIssue[]): RawIssue[] {
  const typos = new Set(
    issues.flatMap((i) => {
      const m = i.hint ? /^did you mean "(.+)"\?$/.exec(i.hint) : null;
      return m && i.message.startsWith('unknown key') ? [`${formatPath(i.path)}\u0000${m[1]}`] : [];
    }),
  );
  const explained = (m: NonNullable<RawIssue['missing']>) => m.keys.some((k) => typos.has(`${formatPath(m.map)}\u0000${k}`));
  return issues.filter((i) => !(i.missing && explained(i.missing)));
}
