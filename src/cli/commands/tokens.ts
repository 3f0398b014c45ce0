// `slipway tokens create|ls|revoke`: named API tokens with a role, for CI and teammates. A token is
// printed once at creation; the control plane keeps only its hash.
import type { ApiTokenRecord } from '../../ports/tokens.js';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';

export const spec: CommandSpec = {
  name: 'tokens',
  usage: 'slipway tokens create --name NAME --role read|deploy|admin [--expires 90d] [--app APP] | tokens ls | tokens revoke NAME  [--json]',
  options: {
    name: { type: 'string', description: 'the token’s name: the actor the audit trail records for everything it does (never reused)' },
    role: { type: 'string', description: 'read: see; deploy: run, deploy, promote, roll back, queue, push; admin: also tokens, secrets, config, settings, stopping the server' },
    expires: { type: 'string', description: 'a lifetime such as 12h, 90d or 2w (default: until revoked)' },
  },
  details:
    'The token is printed once, on stdout, at creation: keep it in your CI’s secret store. Use it as\n' +
    '`Authorization: Bearer slw_…` on the API, or as the password of git’s HTTP pushes. A revoked or\n' +
    'expired token is refused with 401; a route its role does not allow, with 403. On a server with\n' +
    'many apps, `--app APP` scopes the token to that one app: any other app refuses it with 403.',
};

interface Created extends ApiTokenRecord {
  value: string;
}

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const sub = positionals[0];
  const json = values.json === true;
  // On a server with many apps, tokens are the server's (--app scopes one to an app).
  const client = ctx.remote() ? ctx.serverClient() : await ctx.client();
  if (sub === 'create') {
    noExtraPositionals(spec, positionals, 1);
    const name = stringOpt(values, 'name');
    const role = stringOpt(values, 'role');
    if (name === undefined || role === undefined) throw new SlipwayError('usage', '`tokens create` needs --name and --role', 'e.g. `slipway tokens create --name ci --role deploy --expires 90d`');
    const expires = stringOpt(values, 'expires');
    const { token } = await client.request<{ token: Created }>('POST', '/v1/tokens', { name, role, ...(expires === undefined ? {} : { expires }), ...(ctx.app === undefined ? {} : { app: ctx.app }) });
    if (json) ctx.out(`${JSON.stringify(token, null, 2)}\n`);
    else {
      ctx.out(`${token.value}\n`);
      ctx.err(`token "${token.name}" (${token.role}${token.app ? ` of the app ${token.app} only` : ''}${token.expiresAt ? `, expires ${token.expiresAt}` : ', no expiry'}) created: it is shown this once; keep it in a secret store\n`);
    }
    return 0;
  }
  if (values.name !== undefined || values.role !== undefined || values.expires !== undefined) throw new SlipwayError('usage', '--name, --role and --expires are options of `tokens create`', `usage: ${spec.usage}`);
  if (sub === 'ls' || sub === 'list') {
    noExtraPositionals(spec, positionals, 1);
    const { tokens } = await client.request<{ tokens: ApiTokenRecord[] }>('GET', '/v1/tokens');
    if (json) ctx.out(`${JSON.stringify(tokens, null, 2)}\n`);
    else if (tokens.length === 0) ctx.out('no named tokens: `slipway tokens create --name NAME --role read|deploy|admin`\n');
    else {
      const now = Date.now();
      const state = (t: ApiTokenRecord): string => (t.revokedAt ? `revoked ${t.revokedAt.slice(0, 16)}` : t.expiresAt && Date.parse(t.expiresAt) <= now ? 'expired' : 'active');
      const scoped = tokens.some((t) => t.app !== undefined); // the APP column only on a server with scoped tokens
      ctx.out(table(['NAME', 'ROLE', ...(scoped ? ['APP'] : []), 'STATE', 'EXPIRES', 'LAST USED', 'CREATED BY'], tokens.map((t) => [t.name, t.role, ...(scoped ? [t.app ?? '*'] : []), state(t), t.expiresAt?.slice(0, 16) ?? '-', t.lastUsedAt?.slice(0, 16) ?? '-', t.createdBy])));
    }
    return 0;
  }
  if (sub === 'revoke') {
    noExtraPositionals(spec, positionals, 2);
    const name = positionals[1];
    if (!name) throw new SlipwayError('usage', 'which token?', 'e.g. `slipway tokens revoke ci`');
    const out = await client.request<{ revoked: string; at: string }>('DELETE', `/v1/tokens/${encodeURIComponent(name)}`);
    if (json) ctx.out(`${JSON.stringify(out)}\n`);
    else ctx.out(`revoked "${out.revoked}": it is refused from now on\n`);
    return 0;
  }
  throw new SlipwayError('usage', sub ? `unknown subcommand "tokens ${sub}"` : 'create, ls or revoke?', `usage: ${spec.usage}`);
};
