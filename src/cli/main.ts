// The `slipway` command line: dispatch to one module per command, and the one error boundary that
// turns Slipway's errors into messages with a next step and the exit codes of SPEC §6.
import { SlipwayError, diskFullError, exitCodeOf, isSlipwayError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { helpText } from './args.js';
import { COMMANDS } from './command-table.js';
import { didYouMean } from '../config/suggest.js';
import { createCliContext, type CliContext } from './context.js';
import { timingFromEnv } from '../adapters/timing/stderr.js';

export { COMMANDS, type CommandModule } from './command-table.js';

const usage = (): string =>
  [
    `slipway ${VERSION} — gate every change, build it once, promote the same digest, verify, roll back on its own.`,
    '',
    'usage: slipway COMMAND [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(11)} ${c.summary}`),
    '',
    'Run `slipway COMMAND --help` for a command’s options. Every command that prints something a',
    'script would read takes --json. Exit codes: 0 done, 1 the work failed, 2 bad usage or',
    'configuration, 3 conflict, 4 refused by policy, 130 canceled.',
    'Docs: docs/cli.md, docs/slipway-yaml.md.',
    '',
  ].join('\n');

/**
 * Takes `--app NAME` (or `--app=NAME`), which every command accepts, out of the words before `--`:
 * the app of a remote server to act on. Undefined app when absent; a usage error when it has no value.
 */
const takeAppOption = (words: string[]): { app?: string; rest: string[] } => {
  const rest: string[] = [];
  let app: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === '--') {
      rest.push(...words.slice(i));
      break;
    }
    if (w === '--app' || w.startsWith('--app=')) {
      const v = w === '--app' ? words[++i] : w.slice('--app='.length);
      if (v === undefined || v === '' || (w === '--app' && v.startsWith('-'))) throw new SlipwayError('usage', '--app needs a value: the name of an app of the server', 'e.g. --app shop (`slipway apps ls` lists them)');
      app = v;
      continue;
    }
    rest.push(w);
  }
  return app === undefined ? { rest } : { app, rest };
};

export const main = async (argv: string[], ctx: CliContext = createCliContext(process.cwd(), process.env)): Promise<number> => {
  const timing = timingFromEnv('cli', ctx.env);
  timing.mark('started');
  const [name, ...given] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    ctx.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    ctx.out(`${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const close = didYouMean(name, Object.keys(COMMANDS));
    ctx.err(`slipway: unknown command "${name}"${close ? ` — did you mean "${close}"?` : ''}\nRun \`slipway --help\` for the list.\n`);
    return 2;
  }
  let rest: string[];
  try {
    const taken = takeAppOption(given);
    rest = taken.rest;
    if (taken.app !== undefined) ctx.app = taken.app;
  } catch (e) {
    ctx.err(`slipway ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const cmd = await entry.load();
  timing.mark(`${name} loaded`);
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.out(`${helpText(cmd.spec, entry.summary)}\n`);
    return 0;
  }
  try {
    return await cmd.run(ctx, rest);
  } catch (thrown) {
    const e = diskFullError(thrown) ?? thrown;
    if (isSlipwayError(e)) {
      const json = rest.includes('--json');
      if (json) ctx.out(`${JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint } })}\n`);
      ctx.err(`slipway ${name}: ${e.message}\n${e.hint ? `  → ${e.hint}\n` : ''}`);
      return exitCodeOf(e.code);
    }
    ctx.err(`slipway ${name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nThis is a bug in Slipway; please report it with the lines above.\n`);
    return 70;
  }
};
