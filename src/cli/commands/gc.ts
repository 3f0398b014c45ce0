// `slipway gc [--dry-run]`: apply the retention policy of slipway.yaml (`retention:`), never
// removing what a kept release, a deployment or run in flight, a recent build or a pin references.
import type { GcReport } from '../../engine/retention.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'gc',
  usage: 'slipway gc [--dry-run] [--json]',
  options: {
    'dry-run': { type: 'boolean', description: 'list what would be removed and why; remove nothing' },
  },
  details: [
    'Keeps, per environment, the last `retention.releases` releases (default 10), the current, the',
    'previous and any in-flight one, and the artifacts they run; besides, what a queued or running',
    'run, a recent build or `retention.pin` references. Removes the other artifacts (with their',
    'manifest and provenance), unpacked release directories, and work directories of finished runs.',
    'Nothing younger than `retention.min_age` (default 1h) is removed. The history keeps every release; a release whose',
    'artifact is gone can no longer be rolled back to. Logs: rotates the control plane\'s and the',
    'proxy\'s logs past `retention.log_max_bytes` (instances rotate their own as they write), removes',
    'log files last written more than `retention.logs_days` (default 14) days ago that no running',
    'instance writes and no deployment in flight reads, and replaces the step output of runs that',
    'finished before then with one line saying so. The control plane also runs gc every',
    '`retention.gc_every` (default 1h; 0 turns it off) and records each run as a `gc` event.',
  ].join('\n'),
};

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const dryRun = values['dry-run'] === true;
  const { gc } = await (await ctx.client()).request<{ gc: GcReport }>('POST', '/v1/gc', { dry_run: dryRun });
  if (values.json) {
    ctx.out(`${JSON.stringify(gc, null, 2)}\n`);
    return 0;
  }
  for (const e of gc.removed) ctx.out(`${dryRun ? 'would remove' : 'removed'} ${e.kind} ${e.what} (${mib(e.bytes)}): ${e.why}\n`);
  for (const e of gc.rotated) ctx.out(`${dryRun ? 'would rotate' : 'rotated'} ${e.what} (${mib(e.bytes)}): ${e.why}\n`);
  for (const e of gc.skipped) ctx.out(`skipped ${e.kind} ${e.what}: ${e.why}\n`);
  const kept = Object.entries(gc.keptReleases).map(([env, ns]) => `${env} ${ns.map((n) => `v${n}`).join(' ')}`).join('; ');
  ctx.out(`${dryRun ? 'would free' : 'freed'} ${mib(gc.bytes)} (${gc.removed.length} item(s)); kept ${gc.kept.length} item(s)${kept ? `, releases ${kept}` : ''}\n`);
  return 0;
};
