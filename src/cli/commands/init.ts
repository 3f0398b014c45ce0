// `slipway init`: write a commented slipway.yaml guessed from the repository's package.json.
import { existsSync, readFileSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import { loadConfig, formatConfigIssue } from '../../config/load.js';
import { planInitConfig, renderInitConfig, type PackageJson } from '../../config/init.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'init',
  usage: 'slipway init [--force] [--print] [--json]',
  options: {
    force: { type: 'boolean', description: 'overwrite an existing slipway.yaml' },
    print: { type: 'boolean', description: 'print the file instead of writing it' },
  },
  details: 'Then review the file, commit it, and run `slipway run`.',
};

const readPackageJson = (repo: string): PackageJson => {
  const file = join(repo, 'package.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch (e) {
    throw new SlipwayError('config', `package.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, 'fix package.json, then run `slipway init` again');
  }
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const repo = await ctx.repo();
  const target = join(repo, 'slipway.yaml');
  const pkg = readPackageJson(repo);
  const files = readdirSync(repo, { withFileTypes: true }).map((d) => (d.isDirectory() ? `${d.name}/` : d.name));
  const options = { files, dirName: basename(repo) };
  const text = renderInitConfig(pkg, options);
  const check = loadConfig('slipway.yaml', text);
  if (check.errors.length > 0) throw new Error(`slipway init produced an invalid file:\n${check.errors.map(formatConfigIssue).join('\n')}`);
  if (values.print || values.json) {
    ctx.out(values.json ? `${JSON.stringify({ plan: planInitConfig(pkg, options), text }, null, 2)}\n` : text);
    return 0;
  }
  if (existsSync(target) && !values.force) {
    throw new SlipwayError('usage', 'slipway.yaml already exists', 'keep it, or run `slipway init --force` to replace it (`slipway init --print` shows what would be written)');
  }
  writeFileSync(target, text);
  const ignore = join(repo, '.gitignore');
  const ignored = existsSync(ignore) && readFileSync(ignore, 'utf8').split('\n').some((l) => l.trim() === '.slipway/' || l.trim() === '.slipway');
  if (!ignored) appendFileSync(ignore, `${existsSync(ignore) && !readFileSync(ignore, 'utf8').endsWith('\n') ? '\n' : ''}.slipway/\n`);
  ctx.out(`wrote slipway.yaml${ignored ? '' : ' and added .slipway/ to .gitignore'}\nnext: review it, \`git add slipway.yaml .gitignore && git commit -m "Add Slipway"\`, then \`slipway run\`\n`);
  return 0;
};
