// `slipway merge BRANCH [--wait]`: queue a local branch for main. The merge queue tests it as the
// merged tree (main + the branch) with every gate, and moves main only if all of them pass.
import { runGit } from '../../adapters/vcs/git/run.js';
import { SlipwayError } from '../../core/errors.js';
import { isItemFinal, type QueueItem } from '../../core/queue/types.js';
import type { RunRecord, StepRecord } from '../../core/run.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { Client } from '../client.js';
import type { CliContext } from '../context.js';
import { formatItem, type ItemView, type QueueList } from '../queue-format.js';

export const spec: CommandSpec = {
  name: 'merge',
  usage: 'slipway merge BRANCH [--wait] [--json]',
  options: {
    wait: { type: 'boolean', short: 'w', description: 'follow the item until it is merged, refused or in conflict' },
  },
  details:
    'The branch’s commits are copied into the canonical repository (.slipway/repo.git) and queued.\n' +
    'The queue merges it onto main (with any others in the same batch), runs the whole pipeline on\n' +
    'that exact commit and, if every gate passes, moves main to it; the artifact that run built is\n' +
    'the one deployed (`deploy: auto` environments get it at once). Afterwards update your working\n' +
    'copy with `git pull .slipway/repo.git main`.\n' +
    'Exit codes with --wait: 0 merged, 1 refused by a gate, 3 conflict with main, 2 no such branch.',
};

/** The exit code of a finished item. */
export const itemExitCode = (item: QueueItem): number => (item.state === 'merged' ? 0 : item.state === 'conflict' ? 3 : 1);

const resolveBranch = async (repo: string, branch: string): Promise<string | undefined> => {
  const r = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/heads/${branch}^{commit}`], { cwd: repo });
  return r.code === 0 ? r.stdout.trim() : undefined;
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const branch = positionals[0];
  if (!branch) throw new SlipwayError('usage', 'which branch?', 'give a local branch, e.g. `slipway merge my-feature`');
  const json = values.json === true;
  const remote = ctx.remote();
  if (remote) throw new SlipwayError('usage', `on a server, a change reaches the queue by a push: \`slipway merge\` queues a branch of the server's own repository`, `push it: \`git push ${remote.url}/git/APP.git ${branch}:refs/for/main\` (the password is your token), then follow it with \`slipway queue\``);
  const repo = await ctx.repo();
  const sha = branch.startsWith('-') ? undefined : await resolveBranch(repo, branch);
  if (!sha) throw new SlipwayError('not_found', `no branch "${branch}" in ${repo}`, 'list the branches with `git branch`; to queue another commit, push it: `git push <remote> COMMIT:refs/for/main`');
  const client = await ctx.client();
  const { item, existing } = await client.request<{ item: QueueItem; existing: boolean }>('POST', '/v1/queue', { branch, sha });
  if (!values.wait) {
    if (json) ctx.out(`${JSON.stringify({ item, existing }, null, 2)}\n`);
    else ctx.out(`${item.id} ${existing ? 'was already queued' : 'queued'}: ${branch} at ${sha.slice(0, 12)} (${item.subject})\nfollow it: slipway queue ${item.id}   (or merge with --wait)\n`);
    return 0;
  }
  if (!json) ctx.out(`${item.id} ${existing ? 'was already queued' : 'queued'}: ${branch} at ${sha.slice(0, 12)} (${item.subject})\n`);
  const view = await follow(ctx, client, item.id, json);
  if (json) ctx.out(`${JSON.stringify(view, null, 2)}\n`);
  else ctx.out(formatItem(view, (await client.request<QueueList>('GET', '/v1/queue?limit=1')).canonical));
  return itemExitCode(view.item);
};

/** Polls the item until it is final, printing each change of state and each step of its runs. */
const follow = async (ctx: CliContext, client: Client, id: string, quiet: boolean): Promise<ItemView> => {
  const say = (s: string): void => {
    if (!quiet) ctx.out(`${new Date().toISOString().slice(11, 23)} ${s}\n`);
  };
  // The enqueue line said "queued" already.
  let state = 'queued  ';
  const stepSeen = new Map<string, string>();
  for (;;) {
    const view = await client.request<ItemView>('GET', `/v1/queue/${id}`);
    const { item } = view;
    const runId = item.runIds.at(-1);
    const key = `${item.state} ${item.batchId ?? ''} ${runId ?? ''}`;
    if (key !== state) {
      state = key;
      if (item.state === 'testing' && runId) say(`${id} testing in batch ${item.batchId ?? '?'} (${view.batch?.items.join(', ') ?? id}) as ${view.batch?.tip.slice(0, 12) ?? '?'}: run ${runId} — live log: slipway logs ${runId} -f`);
      else if (!isItemFinal(item.state)) say(`${id} ${item.state}`);
    }
    if (runId && item.state === 'testing') {
      const { steps } = await client.request<{ run: RunRecord; steps: StepRecord[] }>('GET', `/v1/runs/${runId}`);
      for (const s of steps) {
        const k = `${runId}/${s.name}`;
        if (stepSeen.get(k) === s.status || s.status === 'pending') continue;
        stepSeen.set(k, s.status);
        say(`  ${runId} ${s.name} ${s.status}${s.attempts > 1 ? ` (attempt ${s.attempts})` : ''}${s.reason && s.status !== 'passed' ? `: ${s.reason.split('\n')[0]}` : ''}`);
      }
    }
    if (isItemFinal(item.state)) return view;
    await new Promise((r) => setTimeout(r, 250));
  }
};
