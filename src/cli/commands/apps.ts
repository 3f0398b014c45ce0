// `slipway apps create NAME | ls | rm NAME --yes | webhook NAME`: the apps of a Slipway server
// (server mode). Each has its own canonical repository (/git/<app>.git), environments, releases,
// config, secrets, history, merge queue and incoming webhooks (docs/webhooks.md).
import { appNameProblem } from '../../core/app-name.js';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { readSecretInput } from '../secret-input.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'apps',
  usage: 'slipway apps create NAME | apps ls | apps rm NAME --yes | apps webhook NAME [--remote URL] [--secret]  [--json]',
  options: {
    yes: { type: 'boolean', description: 'confirm `apps rm`: the app’s instances stop and everything it kept is deleted' },
    remote: { type: 'string', description: '`apps webhook`: the repository pushed commits are fetched from (https://, ssh://, user@host:path or a path; no password)' },
    secret: { type: 'boolean', description: '`apps webhook`: set the webhook secret, read from stdin (never an argument)' },
  },
  details:
    'For a server with many apps (`slipway server --home DIR`), after `slipway login URL`. A name is a\n' +
    'DNS label: 1–63 lower-case letters, digits and -, not starting or ending with -. `apps rm`\n' +
    'refuses while a run, a deployment or a queued change of the app is in flight.\n' +
    '`apps webhook NAME` shows the app’s webhook URLs, remote, whether a secret is set and the last\n' +
    'deliveries; with `--remote URL` and/or `--secret` (the secret on stdin: `openssl rand -hex 32 |\n' +
    'tee secret.txt | slipway apps webhook shop --secret`) it sets them. docs/webhooks.md.',
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
  if (sub === 'webhook') {
    noExtraPositionals(spec, positionals, 2);
    const name = checkName(positionals[1], 'webhook');
    const client = ctx.serverClient();
    const path = `/v1/apps/${encodeURIComponent(name)}/webhook`;
    const remote = typeof values.remote === 'string' ? values.remote : undefined;
    if (remote !== undefined || values.secret === true) {
      const secret = values.secret === true ? await readSecretInput(ctx, `webhook secret of ${name}`) : undefined;
      const out = await client.request<{ remote: { url: string } | null; secretVersion: number | null }>('PUT', path, {
        ...(remote !== undefined ? { remote } : {}),
        ...(secret ? { secret_base64: secret.toString('base64') } : {}),
      });
      secret?.fill(0);
      if (json) ctx.out(`${JSON.stringify(out, null, 2)}\n`);
      else ctx.out(`${remote !== undefined ? `remote of "${name}": ${out.remote?.url ?? '-'}\n` : ''}${out.secretVersion !== null ? `webhook secret of "${name}" set (version ${out.secretVersion})\n` : ''}`);
      return 0;
    }
    const out = await client.request<{ remote: { url: string; setAt: string; setBy: string } | null; secret: { version: number; updatedAt: string } | null; deliveries: { delivery: string; event: string; outcome: string; detail?: string; receivedAt: string }[] }>('GET', path);
    const urls = { github: `${client.base}/v1/apps/${name}/webhooks/github`, signed: `${client.base}/v1/apps/${name}/webhooks/signed` };
    if (json) {
      ctx.out(`${JSON.stringify({ ...out, urls }, null, 2)}\n`);
      return 0;
    }
    ctx.out(
      [
        `GitHub push webhook:  ${urls.github}   (content type application/json)`,
        `generic signed push:  ${urls.signed}`,
        `remote:  ${out.remote ? `${out.remote.url}   (set by ${out.remote.setBy}, ${out.remote.setAt.slice(0, 16)})` : 'none: `slipway apps webhook NAME --remote URL`'}`,
        `secret:  ${out.secret ? `set (version ${out.secret.version}, ${out.secret.updatedAt.slice(0, 16)})` : 'none: `slipway apps webhook NAME --secret` (read from stdin)'}`,
        '',
      ].join('\n'),
    );
    if (out.deliveries.length > 0) ctx.out(table(['DELIVERY', 'EVENT', 'OUTCOME', 'DETAIL', 'RECEIVED'], out.deliveries.map((d) => [d.delivery.slice(0, 40), d.event, d.outcome, (d.detail ?? '').slice(0, 60), d.receivedAt.slice(0, 19)])));
    return 0;
  }
  throw new SlipwayError('usage', sub ? `unknown subcommand "apps ${sub}"` : 'create, ls, rm or webhook?', `usage: ${spec.usage}`);
};
