// `slipway backup FILE` and `slipway backup verify FILE`: one consistent archive of the home, taken
// while the control plane may be deploying (it needs no control plane), and its check without
// restoring. The master key goes in only with --include-master-key, sealed with a passphrase from stdin.
import { resolve } from 'node:path';
import { createBackup, readBackupArchive } from '../../adapters/backup/index.js';
import type { BackupManifest } from '../../core/backup/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { readPassphrase } from '../passphrase.js';

export const spec: CommandSpec = {
  name: 'backup',
  usage: 'slipway backup FILE [--all] [--include-master-key] | verify FILE  [--json]',
  options: {
    all: { type: 'boolean', description: 'every stored artifact, not only those a release or deployment references' },
    'include-master-key': { type: 'boolean', description: 'seal the master key into the archive with a passphrase read from stdin (at least 12 characters)' },
  },
  details:
    'The archive (an uncompressed tar, mode 0600, written to a temp file and renamed) holds a manifest\n' +
    '(format version, Slipway version, creation time, the home id, each entry\'s size and sha256), the\n' +
    'database copied with SQLite\'s online backup (safe while deployments run), the artifacts its releases\n' +
    'and deployments reference (all with --all), the canonical repository as a git bundle and the\n' +
    'provenance signing key. Secrets travel as they are stored: encrypted. The master key is never in it\n' +
    'unless --include-master-key: `printf %s "$PASSPHRASE" | slipway backup FILE --include-master-key`.\n' +
    '`backup verify FILE` checks every entry\'s digest without restoring and prints what the archive holds.\n' +
    'Restore with `slipway restore FILE` into an empty home, then `slipway up`.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const json = values.json === true;
  if (positionals[0] === 'verify') {
    if (values.all === true || values['include-master-key'] === true) throw new SlipwayError('usage', 'backup verify takes no --all or --include-master-key', `usage: ${spec.usage}`);
    const file = onePath(positionals.slice(1), 'backup verify');
    return verify(ctx, file, json);
  }
  const file = onePath(positionals, 'backup');
  const home = await ctx.home();
  const report = await createBackup({
    home,
    file: resolve(ctx.cwd, file),
    all: values.all === true,
    ...(values['include-master-key'] === true ? { includeMasterKey: { env: ctx.env, passphrase: () => readPassphrase(ctx, 'passphrase that seals the master key in the backup') } } : {}),
  });
  if (json) {
    ctx.out(`${JSON.stringify({ file: report.file, bytes: report.bytes, ms: report.ms, missingArtifacts: report.missingArtifacts, manifest: report.manifest }, null, 2)}\n`);
    return 0;
  }
  ctx.out(`wrote ${report.file} (${mib(report.bytes)}) in ${(report.ms / 1000).toFixed(2)}s\n`);
  ctx.out(describe(report.manifest));
  for (const d of report.missingArtifacts) ctx.err(`warning: ${d} is referenced by a release or deployment but is not in the artifact store; it is not in the backup\n`);
  if (!report.manifest.entries.some((e) => e.kind === 'master-key') && report.manifest.secretKeyIds.length > 0) {
    ctx.out(`the master key (key id ${report.manifest.secretKeyIds.join(', ')}) is NOT in the archive: keep it apart, restore needs it\n`);
  }
  return 0;
};

const onePath = (positionals: string[], what: string): string => {
  const [file, ...rest] = positionals;
  if (file === undefined || file === '') throw new SlipwayError('usage', `${what}: which file?`, `usage: ${spec.usage}`);
  if (rest.length > 0) throw new SlipwayError('usage', `${what}: one FILE only (got ${positionals.length} arguments)`, `usage: ${spec.usage}`);
  return file;
};

const verify = async (ctx: CliContext, file: string, json: boolean): Promise<number> => {
  const { manifest, bytes } = await readBackupArchive(resolve(ctx.cwd, file));
  if (json) {
    ctx.out(`${JSON.stringify({ ok: true, file: resolve(ctx.cwd, file), bytes, manifest }, null, 2)}\n`);
    return 0;
  }
  ctx.out(`${resolve(ctx.cwd, file)}: every entry matches its digest (${manifest.entries.length + 1} entries, ${mib(bytes)})\n`);
  ctx.out(describe(manifest));
  return 0;
};

const mib = (bytes: number): string => `${(bytes / (1 << 20)).toFixed(1)} MiB`;

/** What an archive holds, for people. */
export const describe = (m: BackupManifest): string => {
  const kinds = (k: string): number => m.entries.filter((e) => e.kind === k).length;
  return [
    `  format ${m.formatVersion}, Slipway ${m.slipwayVersion}, created ${m.createdAt}, from home id ${m.homeId}, schema ${m.schemaVersion}`,
    `  ${m.counts.environments} environment(s), ${m.counts.releases} release(s), ${m.counts.deployments} deployment(s), ${m.counts.events} event(s)`,
    `  ${m.counts.artifacts} artifact(s) (${m.allArtifacts ? 'all stored' : 'those referenced'}), ${m.counts.secretVersions} secret version(s), encrypted${m.secretKeyIds.length ? ` under key id ${m.secretKeyIds.join(', ')}` : ''}`,
    `  canonical repository: ${kinds('repository') ? 'yes' : 'none'}; signing key: ${kinds('signing-key') ? 'yes' : 'none'}; master key: ${kinds('master-key') ? 'sealed with a passphrase' : 'not included'}`,
    '',
  ].join('\n');
};
