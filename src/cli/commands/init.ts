// `slipway init`: write a commented slipway.yaml guessed from the repository's package.json.
import { existsSync, readFileSync, readdirSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { createGitVcs } from '../../adapters/vcs/git/git.js';
import { ROUTE_SOURCE } from '../../config/init-health.js';
import { resolveHome } from '../../home/paths.js';
import { portsOfOtherHomes, readRegistry, recordHome, registryFile } from '../../home/registry.js';
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
  details:
    'Then review the file, commit it, and run `slipway run`. Environment ports are chosen free on this machine and unused by the other Slipway apps listed in the per-user registry ($SLIPWAY_STATE_DIR, else $XDG_STATE_HOME/slipway, else ~/.local/state/slipway: homes.json).',
};

/** Most source files read, and largest, when looking for a health route. */
const MAX_SOURCES = 2000;
const MAX_SOURCE_BYTES = 256 * 1024;

/** The tracked JavaScript and TypeScript files outside tests and dependencies, read for route registrations. */
const readSources = (repo: string, files: readonly string[]): Array<{ path: string; text: string }> => {
  const out: Array<{ path: string; text: string }> = [];
  for (const f of files) {
    if (out.length >= MAX_SOURCES) break;
    if (!ROUTE_SOURCE.test(f) || /(?:^|\/)(?:node_modules|test|tests|__tests__|dist|build)\//.test(f) || /\.(?:test|spec)\./.test(f)) continue;
    try {
      const full = join(repo, f);
      if (statSync(full).size > MAX_SOURCE_BYTES) continue;
      out.push({ path: f, text: readFileSync(full, 'utf8') });
    } catch {
      // Listed but gone (deleted, not committed yet): nothing to read.
    }
  }
  return out;
};

/** Whether nothing listens on `port` on this machine's loopback (a bind that succeeds is closed at once). */
const portFree = (port: number): Promise<boolean> =>
  new Promise((resolvePromise) => {
    const s = createServer();
    s.once('error', () => resolvePromise(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolvePromise(true)));
  });

/**
 * A production and a staging port (8080/8081, else 8090/8091, …) free here and not used or claimed
 * by another Slipway home; the defaults, with a warning, when none of the pairs tried is.
 */
const choosePorts = async (taken: ReadonlyMap<number, string>): Promise<{ ports: { staging: number; production: number }; warning?: string }> => {
  for (let base = 8080; base < 9000; base += 10) {
    const pair = { production: base, staging: base + 1 };
    if (taken.has(pair.production) || taken.has(pair.staging)) continue;
    if ((await portFree(pair.production)) && (await portFree(pair.staging))) return { ports: pair };
  }
  return { ports: { staging: 8081, production: 8080 }, warning: 'no free pair of ports between 8080 and 8999: wrote 8080 and 8081; change them before deploying' };
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
  const tracked = await createGitVcs().listFiles(repo);
  const home = resolveHome(repo, ctx.env);
  const registry = registryFile(ctx.env);
  const chosen = await choosePorts(portsOfOtherHomes(readRegistry(registry), home));
  const options = { files, tracked, sources: readSources(repo, tracked), ports: chosen.ports, dirName: basename(repo) };
  const plan = planInitConfig(pkg, options);
  const text = renderInitConfig(pkg, options);
  const check = loadConfig('slipway.yaml', text);
  if (check.errors.length > 0) throw new Error(`slipway init produced an invalid file:\n${check.errors.map(formatConfigIssue).join('\n')}`);
  if (values.print || values.json) {
    ctx.out(values.json ? `${JSON.stringify({ plan, text }, null, 2)}\n` : text);
    return 0;
  }
  if (existsSync(target) && !values.force) {
    throw new SlipwayError('usage', 'slipway.yaml already exists', 'keep it, or run `slipway init --force` to replace it (`slipway init --print` shows what would be written)');
  }
  writeFileSync(target, text);
  recordHome(home, { repo, app: plan.app, ports: { ...plan.ports }, by: 'init' }, registry);
  for (const w of [...plan.warnings, ...(chosen.warning ? [chosen.warning] : [])]) ctx.err(`warning: ${w}\n`);
  const ignore = join(repo, '.gitignore');
  const ignored = existsSync(ignore) && readFileSync(ignore, 'utf8').split('\n').some((l) => l.trim() === '.slipway/' || l.trim() === '.slipway');
  if (!ignored) appendFileSync(ignore, `${existsSync(ignore) && !readFileSync(ignore, 'utf8').endsWith('\n') ? '\n' : ''}.slipway/\n`);
  ctx.out(`wrote slipway.yaml${ignored ? '' : ' and added .slipway/ to .gitignore'}\n`);
  ctx.out(`  artifact: ${plan.artifact.join(', ')} (${plan.artifactWhy[0] ?? ''})\n`);
  ctx.out(`  health: ${plan.health.path} (${plan.health.foundIn ? `found in ${plan.health.foundIn}` : 'no health route found in the source'})\n`);
  ctx.out(`  ports: staging ${plan.ports.staging}, production ${plan.ports.production} (free here, unused by other Slipway apps)\n`);
  ctx.out(`next: review it, \`git add slipway.yaml .gitignore && git commit -m "Add Slipway"\`, then \`slipway run\`\n`);
  return 0;
};
