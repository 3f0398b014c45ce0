// `slipway apps create NAME | ls | rm NAME --yes`: the apps of a Slipway server (server mode). Each
// has its own canonical repository (/git/<app>.git), environments, releases, config, secrets,
// history and merge queue.
import { appNameProblem } from '../../core/app-name.js';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'apps',
  usage: 'slipway apps create NAME | apps ls | apps rm NAME --yes  [--json]',
  options: {
    yes: { type: 'boolean', description: 'confirm `apps rm`: the app’s instances stop and everything it kept is deleted' },
  },
  details:
    'For a server with many apps (`slipway server --home DIR`), after `slipway login URL`. A name is a\n' +
    'DNS label: 1–63 lower-case letters, digits and -, not starting or ending with -. `apps rm`\n' +
    'refuses while a run, a deployment or a queued change of the app is in flight.',
};

interface AppSummary {
  name: string;
  createdAt: string;
  git: string;
  environments: string[];
  lastRun: { id: string; status: string } | null;
  inFlight: string[];
}

const checkName = (name: string | undefined, what: string): string => {
  if (name === undefined) throw new SlipwayError('usage', `which app? \`slipway apps ${what} NAME\``);
  const problem = appNameProblem(name);
  if (problem) throw new SlipwayError('usage', problem, `e.g. \`slipway apps ${what} shop\``);
  return name;
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const sub = positionals[0];
  const json = values.json === true;
  if (sub === 'create') {
    noExtraPositionals(spec, positionals, 2);
    const name = checkName(positionals[1], 'create');
    const client = ctx.serverClient();
    const { app } = await client.request<{ app: AppSummary }>('POST', '/v1/apps', { name });
    if (json) ctx.out(`${JSON.stringify(app, null, 2)}\n`);
    else ctx.out(`created the app "${app.name}"\n  push to it:  git remote add slipway ${client.base}${app.git}\n               git push slipway HEAD:refs/for/main   (password: your token)\n`);
    return 0;
  }
  if (sub === 'ls' || sub === 'list') {
    noExtraPositionals(spec, positionals, 1);
    const { apps } = await ctx.serverClient().request<{ apps: AppSummary[] }>('GET', '/v1/apps');
    if (json) ctx.out(`${JSON.stringify(apps, null, 2)}\n`);
    else if (apps.length === 0) ctx.out('no apps yet: `slipway apps create NAME`\n');
    else ctx.out(table(['APP', 'ENVIRONMENTS', 'LAST RUN', 'IN FLIGHT', 'CREATED'], apps.map((a) => [a.name, a.environments.join(', ') || '-', a.lastRun ? `${a.lastRun.id} ${a.lastRun.status}` : '-', a.inFlight.join(', ') || '-', a.createdAt.slice(0, 16)])));
    return 0;
  }
  if (sub === 'rm' || sub === 'remove') {
    noExtraPositionals(spec, positionals, 2);
    const name = checkName(positionals[1], 'rm');
    if (values.yes !== true) throw new SlipwayError('usage', `removing "${name}" stops its instances and deletes its repository, releases, config, secrets and history`, `confirm with \`slipway apps rm ${name} --yes\``);
    const out = await ctx.serverClient().request<{ removed: string }>('DELETE', `/v1/apps/${encodeURIComponent(name)}`);
    ctx.out(json ? `${JSON.stringify(out)}\n` : `removed the app "${out.removed}"\n`);
    return 0;
  }
  throw new SlipwayError('usage', sub ? `unknown subcommand "apps ${sub}"` : 'create, ls or rm?', `usage: ${spec.usage}`);
};
