// `slipway artifacts ls | inspect D | verify D`: the content-addressed artifact store.
import { SlipwayError } from '../../core/errors.js';
import type { ArtifactCheck } from '../../ports/artifact-service.js';
import type { ArtifactRecord } from '../../ports/store.js';
import type { CommandSpec } from '../args.js';
import { intOpt, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'artifacts',
  usage: 'slipway artifacts [ls [-n N] | inspect DIGEST | verify DIGEST] [--json]',
  options: { n: { type: 'string', short: 'n', description: 'how many to list', default: '20' } },
  details:
    'DIGEST may be sha256:<hex>, the bare hex, or a unique prefix of at least 7 hex digits.\n' +
    '`verify` re-hashes the stored archive and checks its signed provenance; exit 4 when corrupt or unsigned.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const args = parseCommand(spec, argv);
  const { values, positionals } = args;
  const [sub = 'ls', digest, extra] = positionals;
  if (extra !== undefined) throw new SlipwayError('usage', `unexpected argument "${extra}"`, `usage: ${spec.usage}`);
  const client = await ctx.client();
  const json = values.json === true;
  switch (sub) {
    case 'ls':
    case 'list': {
      const { artifacts } = await client.request<{ artifacts: ArtifactRecord[] }>('GET', `/v1/artifacts?limit=${intOpt(args, 'n', 20)}`);
      if (json) ctx.out(`${JSON.stringify(artifacts, null, 2)}\n`);
      else if (artifacts.length === 0) ctx.out('no artifacts yet: build one with `slipway build`\n');
      else ctx.out(table(['DIGEST', 'COMMIT', 'RUN', 'FILES', 'SIZE', 'CREATED'], artifacts.map((a) => [a.digest, a.commit.slice(0, 10), a.runId ?? '', String(a.files), humanSize(a.size), a.createdAt.replace('T', ' ').slice(0, 19)])));
      return 0;
    }
    case 'inspect': {
      if (!digest) throw new SlipwayError('usage', 'slipway artifacts inspect: which artifact?', 'give a digest; list them with `slipway artifacts ls`');
      const r = await client.request<{ artifact?: ArtifactRecord; details: Record<string, unknown> }>('GET', `/v1/artifacts/${encodeURIComponent(digest)}`);
      ctx.out(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    case 'verify': {
      if (!digest) throw new SlipwayError('usage', 'slipway artifacts verify: which artifact?', 'give a digest; list them with `slipway artifacts ls`');
      const { check } = await client.request<{ check: ArtifactCheck }>('POST', `/v1/artifacts/${encodeURIComponent(digest)}/verify`);
      if (json) ctx.out(`${JSON.stringify(check, null, 2)}\n`);
      else if (check.ok) ctx.out(`✔ ${check.digest}: content matches its digest; provenance signed by key ${check.keyid}\n`);
      else ctx.err(`✖ ${check.digest}: ${check.reason}: ${check.message}\n`);
      return check.ok ? 0 : 4;
    }
    default:
      throw new SlipwayError('usage', `unknown subcommand "${sub}"`, `usage: ${spec.usage}`);
  }
};

export const humanSize = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`;
