// Argument parsing for every command: node's parseArgs, strict, with errors that name the command
// and point at its --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SlipwayError } from '../core/errors.js';

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string; description: string; default?: string | boolean }>;
  /** Extra text after the options in --help. */
  details?: string;
}

export const GLOBAL_OPTIONS: CommandSpec['options'] = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print machine-readable JSON' },
};

export const parseCommand = (spec: CommandSpec, argv: string[]) => {
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  const config: ParseArgsConfig = {
    args: argv,
    options: Object.fromEntries(
      Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined && o.type === 'boolean' ? { default: o.default } : {}) }]),
    ),
    allowPositionals: true,
    strict: true,
  };
  try {
    const parsed = parseArgs(config);
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e);
    throw new SlipwayError('usage', `slipway ${spec.name}: ${msg}`, `see \`slipway ${spec.name} --help\``);
  }
};

export const helpText = (spec: CommandSpec): string => {
  const options = { ...spec.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(options).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${k}${o.type === 'string' ? ' VALUE' : ''}`;
    return `  ${flag.padEnd(28)} ${o.description}${o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : ''}`;
  });
  return [`slipway ${spec.name} — ${spec.summary}`, '', `usage: ${spec.usage}`, '', 'options:', ...rows, ...(spec.details ? ['', spec.details] : [])].join('\n');
};

export const stringOpt = (values: Record<string, string | boolean | undefined>, key: string): string | undefined => {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
};

export const intOpt = (values: Record<string, string | boolean | undefined>, key: string, dflt: number, min = 1, max = 10_000): number => {
  const raw = stringOpt(values, key);
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new SlipwayError('usage', `--${key} must be a whole number from ${min} to ${max}, not "${raw}"`);
  return n;
};

export const noExtraPositionals = (spec: CommandSpec, positionals: string[], allowed: number): void => {
  if (positionals.length > allowed) {
    throw new SlipwayError('usage', `slipway ${spec.name}: unexpected argument "${positionals[allowed]}"`, `usage: ${spec.usage}`);
  }
};
