// `slipway build`: the artifact of a commit, built once. An existing artifact is returned as is.
import type { RunRecord } from '../../core/run.js';
import type { ReproducibilityReport } from '../../engine/reproducible.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';
import { followRun, runExitCode, summarise } from '../follow.js';
import { warnIfDirty } from './run.js';

export const spec: CommandSpec = {
  name: 'build',
  usage: 'slipway build [--ref REF] [--check-reproducible] [--json]',
  options: {
    ref: { type: 'string', description: 'branch, tag or commit to build', default: 'HEAD' },
    'check-reproducible': { type: 'boolean', description: 'rebuild in a fresh checkout and compare with the stored artifact' },
  },
  details: 'A commit that was built already is not rebuilt: its stored, verified artifact is returned.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 0);
  const ref = stringOpt(values, 'ref') ?? 'HEAD';
  const json = values.json === true;
  const client = await ctx.client();
  if (values['check-reproducible']) {
    if (!json) ctx.err('rebuilding in a fresh checkout…\n');
    const { reproducibility: r } = await client.request<{ reproducibility: ReproducibilityReport }>('POST', '/v1/builds', { ref, checkReproducible: true });
    if (json) ctx.out(`${JSON.stringify(r, null, 2)}\n`);
    else if (r.reproducible) ctx.out(`✔ reproducible: the rebuild of ${r.commit.slice(0, 12)} has the same digest\n  ${r.stored}\n`);
    else {
      const d = r.differences;
      const list = (label: string, xs: string[]): string => (xs.length ? `  ${label}:\n${xs.slice(0, 20).map((x) => `    ${x}`).join('\n')}${xs.length > 20 ? `\n    … ${xs.length - 20} more` : ''}\n` : '');
      ctx.err(`✖ not reproducible: ${r.stored} was stored, the rebuild gave ${r.rebuilt}\n${list('changed', d.changed)}${list('only in the rebuild', d.added)}${list('only in the stored artifact', d.removed)}`);
    }
    return r.reproducible ? 0 : 1;
  }
  await warnIfDirty(ctx, ref);
  const result = await client.request<{ existing?: { digest: string; runId?: string }; run?: RunRecord }>('POST', '/v1/builds', { ref });
  if (result.existing) {
    if (json) ctx.out(`${JSON.stringify({ digest: result.existing.digest, existed: true, runId: result.existing.runId ?? null })}\n`);
    else ctx.out(`${result.existing.digest}\n(already built${result.existing.runId ? ` by run ${result.existing.runId}` : ''}; not rebuilt)\n`);
    return 0;
  }
  if (!result.run) throw new Error('the control plane answered neither an artifact nor a run');
  const followed = await followRun(ctx, result.run.id, { json, cancelOnSignal: true });
  if (json) ctx.out(`${JSON.stringify({ digest: followed.run.digest ?? null, existed: false, runId: followed.run.id, status: followed.run.status, reason: followed.run.reason ?? null })}\n`);
  else summarise(ctx, followed);
  return runExitCode(followed.run);
};
