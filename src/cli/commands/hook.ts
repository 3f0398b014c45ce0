// `slipway hook pre-receive|post-receive`: the canonical repository's receive hooks (git runs
// them with the pushed ref updates on stdin). pre-receive refuses direct updates of main and
// Slipway's own refs, with the way to merge; post-receive queues what was pushed to refs/for/main.
import { SlipwayError } from '../../core/errors.js';
import { decidePush, parseRefUpdates, QUEUE_TARGET_REF } from '../../core/queue/hook.js';
import type { QueueItem } from '../../core/queue/types.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import { connect } from '../client.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'hook',
  usage: 'slipway hook pre-receive|post-receive --home DIR --repo DIR  (ref updates on stdin)',
  options: {
    home: { type: 'string', description: 'the Slipway home the repository belongs to' },
    repo: { type: 'string', description: 'the app’s working repository (to start its control plane)' },
  },
};

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const name = positionals[0];
  const home = stringOpt(values, 'home');
  const repo = stringOpt(values, 'repo');
  if ((name !== 'pre-receive' && name !== 'post-receive') || !home || !repo) throw new SlipwayError('usage', `usage: ${spec.usage}`);
  // git runs hooks with GIT_DIR and the push's quarantine set: nothing started from here may see them.
  for (const k of Object.keys(process.env)) if (k.startsWith('GIT_')) delete process.env[k];
  const actor = ctx.env.SLIPWAY_PUSH_ACTOR ?? ctx.env.SLIPWAY_ACTOR ?? ctx.env.USER ?? 'unknown';
  const parsed = parseRefUpdates(await readStdin());
  if (!parsed.ok) {
    ctx.err(`slipway: ${parsed.message}\n`);
    return 1;
  }
  const verdict = decidePush(parsed.updates);
  if (name === 'pre-receive') {
    if (!verdict.ok) {
      for (const d of verdict.decisions) if (d.verdict === 'refuse') ctx.err(`\nslipway: refused ${d.ref}:\n${d.message}\n\n`);
      return 1;
    }
    if (verdict.decisions.some((d) => d.verdict === 'enqueue')) {
      // Queue only what the control plane can take: it is started now if it is not running.
      try {
        await connect(repo, home);
      } catch (e) {
        ctx.err(`slipway: the control plane cannot be reached, so nothing can be queued and nothing was changed: ${e instanceof Error ? e.message : String(e)}\n`);
        return 1;
      }
    }
    return 0;
  }
  for (const d of verdict.decisions) {
    if (d.verdict !== 'enqueue' || d.ref !== QUEUE_TARGET_REF) continue;
    try {
      const client = await connect(repo, home);
      const { item, existing } = await client.request<{ item: QueueItem; existing: boolean }>('POST', '/v1/queue/pushes', { sha: d.sha, actor });
      ctx.err(`slipway: ${item.id} ${existing ? 'was already queued' : 'queued'}: ${d.sha.slice(0, 12)} (${item.subject})\nslipway: follow it with \`slipway queue ${item.id}\`; main moves only if every gate passes on the merged tree\n`);
    } catch (e) {
      // The ref stays as refs/for/main: the control plane queues it when it starts.
      ctx.err(`slipway: ${d.sha.slice(0, 12)} was received but not queued yet (${e instanceof Error ? e.message : String(e)}); the control plane queues it when it next starts\n`);
    }
  }
  return 0;
};
