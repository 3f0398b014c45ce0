// Reads slipway.yaml in stages — YAML, schema, normalise, rules — and returns the config with every
// problem located at its file, line and column. This is the only module of src/config that reads files.

import { readFileSync, statSync } from 'node:fs';
import { isCollection, isScalar, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { dropExplainedMissing, explainIssues, NO_SCHEMA_MESSAGE, type RawIssue } from './issues.js';
import { formatPath, locate } from './locate.js';
import { normalise } from './normalise.js';
import { checkRules } from './rules.js';
import { configSchema } from './schema.js';
import { findSecretLiterals } from './secrets.js';
import { findHostileKeys, MAX_CONFIG_BYTES } from './hostile.js';
import type { SlipwayConfig } from './types.js';

export interface ConfigIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Dot-path such as `environments.production.verify.checks[2]`; empty for the whole file. */
  path: string;
  message: string;
  expected?: string;
  hint?: string;
}

export interface LoadResult {
  /** Present only when there is no error. */
  config?: SlipwayConfig;
  warnings: ConfigIssue[];
  errors: ConfigIssue[];
}

export interface LoadOptions {
  /** Decides which audit ignore entries have expired; defaults to now. */
  now?: Date;
}

const YAML_HINTS: Record<string, string> = {
  DUPLICATE_KEY: 'remove one of the two keys',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  MULTIPLE_DOCS: 'keep one document in the file (remove the second ---)',
  BAD_INDENT: 'check the indentation and the closing bracket',
  MISSING_CHAR: 'close the quote or bracket',
};

/**
 * Loads and checks slipway.yaml. `text` is the file's content when it is already in hand
 * (tests, the server); otherwise the file is read.
 * @example const { config, errors } = loadConfig('slipway.yaml'); errors.forEach((e) => console.error(formatConfigIssue(e)));
 */
export function loadConfig(file: string, text?: string, options: LoadOptions = {}): LoadResult {
  let source = text;
  const tooLarge = (bytes: number): LoadResult => ({ warnings: [], errors: [{ file, line: 1, column: 1, path: '', ...sizeIssue(bytes) }] });
  if (source !== undefined && Buffer.byteLength(source, 'utf8') > MAX_CONFIG_BYTES) return tooLarge(Buffer.byteLength(source, 'utf8'));
  if (source === undefined) {
    try {
      // The size first: a huge file is refused without reading it.
      const size = statSync(file).size;
      if (size > MAX_CONFIG_BYTES) return tooLarge(size);
      source = readFileSync(file, 'utf8');
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String((e as Error).message);
      return { warnings: [], errors: [{ file, line: 1, column: 1, path: '', message: reason, hint: 'run `slipway init` to write one' }] };
    }
  }
  const lines = new LineCounter();
  // `merge: true` accepts `<<: *defaults`, common in CI files.
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  const yamlIssue = (e: YAMLError): ConfigIssue => {
    const pos = lines.linePos(e.pos[0]);
    return { file, line: pos.line, column: pos.col, path: '', message: e.message, ...(YAML_HINTS[e.code] ? { hint: YAML_HINTS[e.code] } : {}) };
  };
  const warnings = doc.warnings.map(yamlIssue);
  if (doc.errors.length > 0) return { warnings, errors: doc.errors.map(yamlIssue) };
  const shapeErrors = structureErrors(doc).map(({ offset, message }) => {
    const pos = lines.linePos(offset);
    return { file, line: pos.line, column: pos.col, path: '', message };
  });
  if (shapeErrors.length > 0) return { warnings, errors: shapeErrors };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { warnings, errors: [{ file, line: 1, column: 1, path: '', message: (e as Error).message }] };
  }
  const place = (raw: RawIssue): ConfigIssue => {
    const { line, column } = locate(doc, lines, raw.locatePath ?? raw.path, raw.at);
    return {
      file,
      line,
      column,
      path: formatPath(raw.path),
      message: raw.message,
      ...(raw.expected ? { expected: raw.expected } : {}),
      ...(raw.hint ? { hint: raw.hint } : {}),
    };
  };
  if (data === null || data === undefined) {
    return {
      warnings,
      errors: [{ file, line: 1, column: 1, path: '', message: 'the file is empty', expected: 'a map with app, build and the rest', hint: 'run `slipway init` to write a commented one' }],
    };
  }

  // Secrets are refused even when the rest does not fit, so they are never missed behind other errors.
  const secretIssues = findSecretLiterals(data).map(place);
  // Hostile keys stop here: the schema and everything after it never see them.
  const hostile = findHostileKeys(data).map(place);
  if (hostile.length > 0) return { warnings, errors: sortIssues([...secretIssues, ...hostile]) };
  const parsed = configSchema.safeParse(data, { error: () => NO_SCHEMA_MESSAGE });
  if (!parsed.success) {
    const schemaIssues = dropExplainedMissing(explainIssues(parsed.error.issues, data)).map(place);
    return { warnings, errors: sortIssues([...secretIssues, ...schemaIssues]) };
  }
  const config = normalise(parsed.data);
  const ruled = checkRules(config, options.now);
  const errors = sortIssues([...secretIssues, ...ruled.filter((r) => r.severity === 'error').map(place)]);
  warnings.push(...ruled.filter((r) => r.severity === 'warning').map(place));
  return errors.length > 0 ? { warnings: sortIssues(warnings), errors } : { config, warnings: sortIssues(warnings), errors };
}

/** The problem of a slipway.yaml over MAX_CONFIG_BYTES, with its size. */
export function sizeIssue(bytes: number): { message: string; hint: string } {
  const mib = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return {
    message: `the file is ${mib(bytes)} (${bytes} bytes); at most ${mib(MAX_CONFIG_BYTES)} (${MAX_CONFIG_BYTES} bytes) is accepted`,
    hint: 'slipway.yaml describes the pipeline and the environments; keep data and generated content in other files',
  };
}

/** YAML that is valid but cannot be a config: keys that are lists or maps, aliases inside themselves. */
function structureErrors(doc: Document): Array<{ offset: number; message: string }> {
  const out: Array<{ offset: number; message: string }> = [];
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        const offset = isCollection(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
        out.push({ offset, message: 'a key must be a plain name, not a list or a map' });
      }
    },
    Alias(_, alias, path) {
      const target = alias.resolve(doc);
      if (target && path.includes(target)) {
        out.push({ offset: alias.range?.[0] ?? 0, message: `alias *${alias.source} refers to a value that contains it` });
      }
    },
  });
  return out;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * One problem as a person reads it:
 * `slipway.yaml:12:7 environments.production.strategy: unknown key "canery"`
 * followed by indented `expected:` and `hint:` lines when there are any.
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const lines = [`${where} ${issue.path ? `${issue.path}: ` : ''}${issue.message}`];
  if (issue.expected) lines.push(`  expected: ${issue.expected}`);
  if (issue.hint) lines.push(`  hint: ${issue.hint}`);
  return lines.join('\n');
}
