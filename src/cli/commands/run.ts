// `slipway run [--ref REF]`: run the pipeline for one exact commit and follow it to its end.
import type { RunRecord } from '../../core/run.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';
import { timingFromEnv } from '../../adapters/timing/stderr.js';

export const spec: CommandSpec = {
  name: 'run',
  usage: 'slipway run [--ref REF] [--detach] [--json]',
  options: {
    ref: { type: 'string', description: 'branch, tag or commit to run', default: 'HEAD' },
    detach: { type: 'boolean', description: 'start the run and print its id without following it' },
  },
  details:
    'The run uses a clean checkout of the exact commit; uncommitted changes are never part of it.\n' +
    'Ctrl-C cancels the run and stops every process its steps started.\n' +
    'Exit codes: 0 passed, 1 failed, 2 bad usage or configuration, 130 canceled.',
};

/** Tells the user when the working tree has changes that the run will not see. */
export const warnIfDirty = async (ctx: CliContext, ref: string): Promise<void> => {
  // On a server the run is of the server's commit (its main for HEAD), never of this work tree.
  if (ref !== 'HEAD' || ctx.remote()) return;
  const { createGitVcs } = await import('../../adapters/vcs/git/git.js');
  const dirty = await createGitVcs().dirtyPaths(await ctx.repo());
  if (dirty.length > 0) {
    const shown = dirty.slice(0, 5).join(', ') + (dirty.length > 5 ? `, … (${dirty.length} in all)` : '');
    ctx.err(`note: the working tree has uncommitted changes (${shown}); they are not part of this run, which uses the committed HEAD exactly. Commit them to include them.\n`);
  }
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const ref = stringOpt(values, 'ref') ?? 'HEAD';
  const json = values.json === true;
  const timing = timingFromEnv('cli', ctx.env);
  const client = await ctx.client();
  timing.mark('connected');
  // The request goes first: the control plane checks out and starts the first step while this
  // process loads what following the run needs, and only then runs git for the note on
  // uncommitted changes (a git process started beside the request delayed it on a busy machine).
  const created = client.request<{ run: RunRecord }>('POST', '/v1/runs', { ref, trigger: 'cli' });
  timing.mark('run requested');
  const follow = import('../follow.js');
  follow.catch(() => undefined);
  const { run: started } = await created;
  timing.mark('run created');
  await warnIfDirty(ctx, ref);
  const { followRun, runExitCode, summarise } = await follow;
  if (values.detach) {
    ctx.out(json ? `${JSON.stringify({ run: started })}\n` : `${started.id}\n`);
    return 0;
  }
  const result = await followRun(ctx, started.id, { json, cancelOnSignal: true });
  if (json) ctx.out(`${JSON.stringify(result, null, 2)}\n`);
  else {
    summarise(ctx, result);
    if (result.run.status === 'passed') {
      // A run never deploys by itself: say so, and what does.
      const auto = await client.request<{ note: string | null }>('GET', `/v1/runs/${encodeURIComponent(result.run.id)}/auto-deploy`).catch(() => ({ note: null }));
      if (auto.note) ctx.out(`${auto.note}\n`);
    }
  }
  return runExitCode(result.run);
};
