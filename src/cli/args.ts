// Argument parsing for every command. Node's parseArgs splits the words (short groups, `--x=v`,
// `--`), and Slipway judges them itself, so that every bad form gets the same kind of message:
// what is wrong, naming the option as it was typed, and the command's usage.
import { parseArgs } from 'node:util';
import { SlipwayError } from '../core/errors.js';
import { didYouMean } from '../config/suggest.js';

export interface CommandSpec {
  name: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string; description: string; default?: string | boolean }>;
  /** Extra text after the options in --help. */
  details?: string;
}

export const GLOBAL_OPTIONS: CommandSpec['options'] = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print machine-readable JSON' },
  app: { type: 'string', description: 'the app of the server this CLI logged in to (default: slipway.yaml’s `app`); local mode has one app' },
};

export type OptionValues = Record<string, string | boolean | undefined>;

export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
  /** How each given option was typed (`-n` or `--n`), so that a message names what the user wrote. */
  spelled: Record<string, string>;
}

/**
 * A usage error. The message carries no `slipway COMMAND:` prefix: the CLI's error boundary adds it
 * once. The hint is the command's usage line.
 */
const usageError = (spec: CommandSpec, message: string, guess?: string): SlipwayError =>
  new SlipwayError('usage', message, `${guess ? `did you mean ${guess}? ` : ''}usage: ${spec.usage} (every option: \`slipway ${spec.name} --help\`)`);

export const parseCommand = (spec: CommandSpec, argv: string[]): ParsedArgs => {
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  const { tokens } = parseArgs({
    args: argv,
    // Known options only tell parseArgs which ones take a value; strict checks are ours, below.
    options: Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }])),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const values: OptionValues = {};
  for (const [k, o] of Object.entries(options)) if (o.type === 'boolean' && o.default !== undefined) values[k] = o.default;
  const positionals: string[] = [];
  const spelled: Record<string, string> = {};
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    // Own keys only: `--constructor` or `--__proto__` must be unknown, not Object.prototype's.
    const o = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (!o) {
      const longs = Object.keys(options).map((k) => `--${k}`);
      const shorts = Object.values(options).flatMap((x) => (x.short ? [`-${x.short}`] : []));
      throw usageError(spec, `unknown option ${t.rawName}`, didYouMean(t.rawName, t.rawName.startsWith('--') ? longs : [...shorts, ...longs]));
    }
    spelled[t.name] = t.rawName;
    if (o.type === 'boolean') {
      if (t.value !== undefined) throw usageError(spec, `${t.rawName} takes no value (got "${t.value}")`);
      values[t.name] = true;
      continue;
    }
    if (t.value === undefined) throw usageError(spec, `${t.rawName} needs a value`);
    // `--ref --json` is a forgotten value far more often than a ref named "--json".
    if (!t.inlineValue && t.value.startsWith('-')) {
      throw usageError(spec, `${t.rawName} needs a value, and "${t.value}" looks like an option`, t.rawName.startsWith('--') ? `${t.rawName}=${t.value} if that is the value` : undefined);
    }
    values[t.name] = t.value;
  }
  return { values, positionals, spelled };
};

/** `slipway NAME — summary`, the usage, every option and the details: the text of `--help` and of docs/cli.md. */
export const helpText = (spec: CommandSpec, summary: string): string => {
  const options = { ...spec.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(options).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${k}${o.type === 'string' ? ' VALUE' : ''}`;
    return `  ${flag.padEnd(28)} ${o.description}${o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : ''}`;
  });
  return [`slipway ${spec.name} — ${summary}`, '', `usage: ${spec.usage}`, '', 'options:', ...rows, ...(spec.details ? ['', spec.details] : [])].join('\n');
};

export const stringOpt = (values: OptionValues, key: string): string | undefined => {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
};

/** A whole-number option, named in its error as the user typed it (`-n`, or `--n`). */
export const intOpt = (args: ParsedArgs, key: string, dflt: number, min = 1, max = 10_000): number => {
  const raw = stringOpt(args.values, key);
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const flag = args.spelled[key] ?? `--${key}`;
    throw new SlipwayError('usage', `${flag} must be a whole number from ${min} to ${max}, not "${raw}"`, `e.g. ${flag} ${dflt}`);
  }
  return n;
};

export const noExtraPositionals = (spec: CommandSpec, positionals: string[], allowed: number): void => {
  if (positionals.length > allowed) throw new SlipwayError('usage', `unexpected argument "${positionals[allowed]}"`, `usage: ${spec.usage}`);
};
