// Every command, its one-line summary and how to load it: the one source that the help list, each
// command's --help and docs/cli.md (scripts/gen-cli-docs.mjs) all read.
import type { CommandSpec } from './args.js';
import type { CliContext } from './context.js';

export interface CommandModule {
  spec: CommandSpec;
  run(ctx: CliContext, argv: string[]): Promise<number>;
}

export interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

/** Commands load lazily, so that a quick command never pays for the engine's modules. */
export const COMMANDS: Record<string, CommandEntry> = {
  init: { summary: 'write a commented slipway.yaml for this repository, detected from package.json', load: () => import('./commands/init.js') },
  run: { summary: 'run the pipeline for a commit: gates and the build, once', load: () => import('./commands/run.js') },
  build: { summary: 'build the artifact of a commit once and print its digest', load: () => import('./commands/build.js') },
  deploy: { summary: 'release and deploy a digest into an environment (default: the latest green build)', load: () => import('./commands/deploy.js') },
  promote: { summary: 'promote the digest verified in one environment to another; no rebuild', load: () => import('./commands/promote.js') },
  rollback: { summary: 'go back to the previous (or named) release that succeeded', load: () => import('./commands/rollback.js') },
  approve: { summary: 'approve a deployment awaiting approval (someone other than its requester); it starts and is followed', load: () => import('./commands/approve.js') },
  reject: { summary: 'reject a deployment awaiting approval (someone other than its requester); it never starts', load: () => import('./commands/reject.js') },
  history: { summary: 'the last deployments of an environment, newest first', load: () => import('./commands/history.js') },
  dora: { summary: 'the DORA figures of each environment: deployment frequency, lead time, change failure rate, time to restore', load: () => import('./commands/dora.js') },
  up: { summary: 'converge every environment to its recorded release (rebuild from scratch)', load: () => import('./commands/up.js') },
  down: { summary: 'stop every instance and the proxy, keeping the recorded state (`slipway up` restores it)', load: () => import('./commands/down.js') },
  gc: { summary: 'apply the retention policy: remove artifacts and directories no kept release, deployment or run references', load: () => import('./commands/gc.js') },
  backup: { summary: 'write one consistent archive of the home (database, artifacts, repository; secrets encrypted); `backup verify` checks one', load: () => import('./commands/backup.js') },
  restore: { summary: 'restore a backup into an empty home; then `slipway up` brings every environment back', load: () => import('./commands/restore.js') },
  runs: { summary: 'the last pipeline runs, newest first', load: () => import('./commands/runs.js') },
  logs: { summary: 'step logs of a run with timestamps, or the events of a deployment', load: () => import('./commands/logs.js') },
  config: { summary: 'non-secret configuration of an environment; each change is a new release', load: () => import('./commands/config.js') },
  secrets: { summary: 'secrets of an environment, encrypted at rest; values come from stdin and are never shown', load: () => import('./commands/secrets.js') },
  env: { summary: 'infrastructure settings of an environment (port, instances, health timeouts); each change is a new release', load: () => import('./commands/env.js') },
  status: { summary: 'every environment, what is in flight, the last run and the latest green build', load: () => import('./commands/status.js') },
  artifacts: { summary: 'list, inspect and verify stored artifacts', load: () => import('./commands/artifacts.js') },
  events: { summary: 'the hash-chained audit trail of everything that happened; `events verify` checks it', load: () => import('./commands/events.js') },
  proxy: { summary: 'the edge proxy daemon: one port per environment (started on demand)', load: () => import('./commands/proxy.js') },
  merge: { summary: 'queue a local branch for main: tested as the merged tree, merged only if every gate passes', load: () => import('./commands/merge.js') },
  queue: { summary: 'the merge queue: items, their state, batch and runs; or one item and its report', load: () => import('./commands/queue.js') },
  remote: { summary: 'the canonical repository: create it, print its path and HTTP URL to add as a git remote', load: () => import('./commands/remote.js') },
  tokens: { summary: 'named API tokens with a role (read, deploy, admin) for CI and teammates: create, ls, revoke', load: () => import('./commands/tokens.js') },
  apps: { summary: 'the apps of a Slipway server with many apps: create, ls, rm', load: () => import('./commands/apps.js') },
  login: { summary: 'drive a Slipway server from this machine: the token from stdin is checked, then kept 0600', load: () => import('./commands/login.js') },
  logout: { summary: 'forget the server `slipway login` stored (back to local mode)', load: () => import('./commands/logout.js') },
  demo: { summary: 'the whole story on the bundled example app, in a scratch directory', load: () => import('./commands/demo.js') },
  server: { summary: 'the control plane: API, engine and only writer of the store (started on demand by the other commands)', load: () => import('./commands/server.js') },
  hook: { summary: 'the canonical repository’s receive hooks (git runs them; not for direct use)', load: () => import('./commands/hook.js') },
};
