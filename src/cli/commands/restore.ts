// `slipway restore FILE`: a backup made into this repository's home, which must be empty (a new
// machine, or SLIPWAY_HOME pointing at a new folder). Needs no control plane; `slipway up` then
// starts every environment's current release again.
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { restoreBackup } from '../../adapters/backup/index.js';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { readPassphrase } from '../passphrase.js';
import { describe } from './backup.js';

export const spec: CommandSpec = {
  name: 'restore',
  usage: 'slipway restore FILE [--json]',
  options: {},
  details:
    'Every entry is checked against the manifest before anything is written; a damaged or truncated\n' +
    'archive, one from a newer Slipway, a home that is not empty, or a master key that does not open\n' +
    'the archive\'s secrets is refused and nothing is written. The master key: SLIPWAY_MASTER_KEY, or the\n' +
    'key file (SLIPWAY_MASTER_KEY_FILE, or ~/.config/slipway/keys/<home id>.key); without either, the\n' +
    'key sealed in the archive (backup --include-master-key), opened with the passphrase read from stdin,\n' +
    'and then written as the new home\'s key file (0600). Then run `slipway up`.\n' +
    'Exit codes: 0 restored, 2 bad usage or no usable key, 4 refused (not empty, wrong key, damaged, newer).',
};

const actor = (env: NodeJS.ProcessEnv): string => {
  if (env.SLIPWAY_ACTOR) return env.SLIPWAY_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const [file, ...rest] = positionals;
  if (file === undefined || file === '') throw new SlipwayError('usage', 'restore: which backup file?', `usage: ${spec.usage}`);
  if (rest.length > 0) throw new SlipwayError('usage', `restore: one FILE only (got ${positionals.length} arguments)`, `usage: ${spec.usage}`);
  const home = await ctx.home();
  const report = await restoreBackup({
    home,
    file: resolve(ctx.cwd, file),
    env: ctx.env,
    passphrase: () => readPassphrase(ctx, 'passphrase of the master key sealed in the backup'),
    actor: actor(ctx.env),
  });
  if (values.json === true) {
    ctx.out(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  ctx.out(`restored ${resolve(ctx.cwd, file)} into ${report.home} (home id ${report.homeId}) in ${(report.ms / 1000).toFixed(2)}s\n`);
  ctx.out(describe(report.manifest));
  const k = report.key;
  if (k.source === 'backup') ctx.out(`the master key (key id ${k.keyId}) from the backup is now the key file ${k.keyFile}: back it up apart from this home\n`);
  else if (k.source !== 'none') ctx.out(`the secrets open with the master key (key id ${k.keyId}) from ${k.source === 'env' ? 'SLIPWAY_MASTER_KEY' : k.keyFile}\n`);
  ctx.out('next: `slipway up` starts every environment\'s current release\n');
  return 0;
};
