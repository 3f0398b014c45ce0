// The `slipway` command line: dispatch to one module per command, and the one error boundary that
// turns Slipway's errors into messages with a next step and the exit codes of SPEC §6.
import { exitCodeOf, isSlipwayError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { helpText, type CommandSpec } from './args.js';
import { createCliContext, type CliContext } from './context.js';

export interface CommandModule {
  spec: CommandSpec;
  run(ctx: CliContext, argv: string[]): Promise<number>;
}

/** Commands load lazily, so that a quick command never pays for the engine's modules. */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  init: { summary: 'write a commented slipway.yaml for this repository', load: () => import('./commands/init.js') },
  run: { summary: 'run the pipeline for a commit: gates and the build, once', load: () => import('./commands/run.js') },
  build: { summary: 'build the artifact of a commit once and print its digest', load: () => import('./commands/build.js') },
  deploy: { summary: 'release and deploy a digest into an environment', load: () => import('./commands/deploy.js') },
  promote: { summary: 'promote the digest verified in one environment to another; no rebuild', load: () => import('./commands/promote.js') },
  rollback: { summary: 'go back to the previous (or named) release that succeeded', load: () => import('./commands/rollback.js') },
  history: { summary: 'the last deployments of an environment, newest first', load: () => import('./commands/history.js') },
  up: { summary: 'converge every environment to its recorded release (rebuild from scratch)', load: () => import('./commands/up.js') },
  down: { summary: 'stop every instance and the proxy, keeping the recorded state', load: () => import('./commands/down.js') },
  runs: { summary: 'the last pipeline runs, newest first', load: () => import('./commands/runs.js') },
  logs: { summary: 'step logs of a run, or the events of a deployment', load: () => import('./commands/logs.js') },
  config: { summary: 'non-secret configuration of an environment; each change is a new release', load: () => import('./commands/config.js') },
  secrets: { summary: 'secrets of an environment: set from stdin, encrypted, never shown', load: () => import('./commands/secrets.js') },
  env: { summary: 'infrastructure settings of an environment (port, instances, health)', load: () => import('./commands/env.js') },
  status: { summary: 'every environment: current release, health, what is in flight', load: () => import('./commands/status.js') },
  artifacts: { summary: 'list, inspect and verify stored artifacts', load: () => import('./commands/artifacts.js') },
  events: { summary: 'the hash-chained audit trail; `events verify` checks it', load: () => import('./commands/events.js') },
  proxy: { summary: 'the edge proxy daemon: one port per environment (started on demand)', load: () => import('./commands/proxy.js') },
  merge: { summary: 'queue a local branch for main: tested as the merged tree, merged only if every gate passes', load: () => import('./commands/merge.js') },
  queue: { summary: 'the merge queue: items, their state, batch and runs; or one item and its report', load: () => import('./commands/queue.js') },
  remote: { summary: 'the canonical repository: create it, print its path and HTTP URL for git', load: () => import('./commands/remote.js') },
  demo: { summary: 'the whole story on the bundled example app, in a scratch directory', load: () => import('./commands/demo.js') },
  server: { summary: 'the control plane (started on demand by the other commands)', load: () => import('./commands/server.js') },
  hook: { summary: 'the canonical repository’s receive hooks (git runs them; not for direct use)', load: () => import('./commands/hook.js') },
};

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

export const main = async (argv: string[], ctx: CliContext = createCliContext(process.cwd(), process.env)): Promise<number> => {
  const [name, ...rest] = argv;
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
    const close = Object.keys(COMMANDS).find((c) => c.startsWith(name.slice(0, 2)));
    ctx.err(`slipway: unknown command "${name}"${close ? ` — did you mean "${close}"?` : ''}\nRun \`slipway --help\` for the list.\n`);
    return 2;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.out(`${helpText(cmd.spec)}\n`);
    return 0;
  }
  try {
    return await cmd.run(ctx, rest);
  } catch (e) {
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
