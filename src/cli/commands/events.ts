// `slipway events [verify]`: the hash-chained audit trail, and a check of its chain.
import type { ChainVerdict, StoredEvent } from '../../core/events/chain.js';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { intOpt, noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'events',
  usage: 'slipway events [verify] [-n N] [--subject ID] [--json]',
  options: {
    n: { type: 'string', short: 'n', description: 'how many events', default: '50' },
    subject: { type: 'string', description: 'only events about this run or deployment' },
  },
  details: 'Every event carries the hash of the one before it; `slipway events verify` exits 4 when the chain is broken.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const args = parseCommand(spec, argv);
  const { values, positionals } = args;
  if (positionals.length > 0 && positionals[0] !== 'verify') throw new SlipwayError('usage', `unknown subcommand "${positionals[0]}"`, `usage: ${spec.usage}`);
  noExtraPositionals(spec, positionals, 1);
  const n = intOpt(args, 'n', 50);
  const client = await ctx.client();
  if (positionals[0] === 'verify') {
    const { chain } = await client.request<{ chain: ChainVerdict }>('GET', '/v1/events/verify');
    if (values.json) ctx.out(`${JSON.stringify(chain, null, 2)}\n`);
    else if (chain.ok) ctx.out(`✔ event chain intact: ${chain.count} events, head ${chain.head.slice(0, 16)}\n`);
    else ctx.err(`✖ event chain broken at event ${chain.seq}: ${chain.message}\n`);
    return chain.ok ? 0 : 4;
  }
  const subject = stringOpt(values, 'subject');
  const { events } = await client.request<{ events: StoredEvent[] }>('GET', `/v1/events?limit=10000${subject ? `&subject=${encodeURIComponent(subject)}` : ''}`);
  const last = events.slice(-n);
  if (values.json) ctx.out(`${JSON.stringify(last, null, 2)}\n`);
  else for (const e of last) ctx.out(`${e.seq.toString().padStart(5)} ${e.at.replace('T', ' ').slice(0, 23)} ${e.kind.padEnd(18)} ${e.subject.padEnd(6)} ${e.actor} ${JSON.stringify(e.data)}\n`);
  return 0;
};
