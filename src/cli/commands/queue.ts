// `slipway queue [ITEM]`: the merge queue — every item with its state, batch and runs; or one
// item with the report of why it was sent back.
import { SlipwayError } from '../../core/errors.js';
import { normaliseItemId } from '../../core/queue/plan.js';
import type { CommandSpec } from '../args.js';
import { intOpt, noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { formatItem, formatQueue, type ItemView, type QueueList } from '../queue-format.js';

export const spec: CommandSpec = {
  name: 'queue',
  usage: 'slipway queue [ITEM] [-n N] [--json]\n       slipway queue accept-main COMMIT',
  options: {
    n: { type: 'string', short: 'n', description: 'how many of the newest items to list', default: '30' },
  },
  details:
    'ITEM is a queue item id as the list shows it (q3, or just 3). States: queued, testing, merged,\n' +
    'refused (a gate failed; the report names the gate, the reason and `slipway logs RUN`),\n' +
    'conflict (the change does not merge cleanly with main). Queue changes with `slipway merge BRANCH`\n' +
    'or `git push <remote> HEAD:refs/for/main`; see docs/merge-queue.md.\n' +
    'When main moved and not by the queue, the queue stops and says so; put main back, or check the\n' +
    'new main and take it with `slipway queue accept-main COMMIT` (the full commit id main holds).',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const args = parseCommand(spec, argv);
  const { values, positionals } = args;
  if (positionals[0] === 'accept-main') {
    noExtraPositionals(spec, positionals, 2);
    const sha = positionals[1];
    if (!sha) throw new SlipwayError('usage', 'slipway queue accept-main: which commit?', 'give the full commit id main holds now, as `slipway queue` shows it');
    const client = await ctx.client();
    const r = await client.request<{ main: string; previous?: string }>('POST', '/v1/queue/accept-main', { sha });
    ctx.out(values.json ? `${JSON.stringify(r, null, 2)}\n` : `main ${r.main.slice(0, 12)} accepted (the queue had left it at ${r.previous?.slice(0, 12) ?? '(none)'}); the queue resumes\n`);
    return 0;
  }
  noExtraPositionals(spec, positionals, 1);
  const limit = intOpt(args, 'n', 30);
  const client = await ctx.client();
  const raw = positionals[0];
  if (raw !== undefined) {
    const id = normaliseItemId(raw);
    if (!id) throw new SlipwayError('not_found', `no queue item "${raw}": queue items are named q1, q2, …`, 'list the queue with `slipway queue`');
    const view = await client.request<ItemView>('GET', `/v1/queue/${id}`);
    if (values.json) ctx.out(`${JSON.stringify(view, null, 2)}\n`);
    else ctx.out(formatItem(view, (await client.request<QueueList>('GET', '/v1/queue?limit=1')).canonical));
    return 0;
  }
  const list = await client.request<QueueList>('GET', `/v1/queue?limit=${limit}`);
  ctx.out(values.json ? `${JSON.stringify(list, null, 2)}\n` : formatQueue(list));
  return 0;
};
