// `slipway login URL`: drive a Slipway server from this machine. The token is read from stdin (or a
// prompt without echo), checked with a request to the server, and only then stored, 0600, under
// $XDG_CONFIG_HOME/slipway/ (or ~/.config/slipway/). A wrong URL or a refused token stores nothing.
import { SlipwayError, isSlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import { Client } from '../client.js';
import type { CliContext } from '../context.js';
import { normaliseServerUrl, saveLogin } from '../remote-config.js';
import { readSecretInput } from '../secret-input.js';

export const spec: CommandSpec = {
  name: 'login',
  usage: 'slipway login URL  (the token on stdin, or typed at the prompt)',
  options: {},
  details:
    'The token is the server’s admin token (DIR/token on the server) or one from `slipway tokens\n' +
    'create`. It is checked against the server before it is stored. Then every command drives that\n' +
    'server, for the app named by slipway.yaml’s `app:` or --app. CI can set SLIPWAY_SERVER and\n' +
    'SLIPWAY_TOKEN instead. `slipway logout` forgets the login.',
};

interface Health {
  ok?: boolean;
  mode?: string;
  version?: string;
  apps?: number;
}

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const given = positionals[0];
  if (given === undefined) throw new SlipwayError('usage', 'which server? `slipway login URL`', 'e.g. `slipway login http://127.0.0.1:7400 < token-file`');
  const url = normaliseServerUrl(given);
  const token = (await readSecretInput(ctx, `token for ${url}`)).toString('utf8').trim();
  if (token === '' || /\s/.test(token)) throw new SlipwayError('usage', 'no token was given (or it has spaces in it); nothing was stored', 'pipe it in: `slipway login URL < token-file`');
  const client = new Client(url, token, { pid: 0, port: 0, repo: '', version: '' }, '');
  let health: Health;
  try {
    health = await client.request<Health>('GET', '/v1/health', undefined, AbortSignal.timeout(10_000));
  } catch (e) {
    if (isSlipwayError(e) && (e.code === 'refused' || /token/.test(e.message))) throw new SlipwayError('refused', `${url} refused the token: ${e.message}; nothing was stored`, 'check the token (the server’s DIR/token, or one from `slipway tokens create`)');
    throw new SlipwayError('unavailable', `${url} is not a Slipway server this CLI can use: ${e instanceof Error ? e.message : String(e)}; nothing was stored`, 'check the address and port (`slipway server --home DIR --listen ADDR:PORT` prints them)');
  }
  if (health.ok !== true || health.mode !== 'server') {
    throw new SlipwayError('unavailable', `${url} answers, but not as a Slipway server with many apps (mode ${health.mode ?? 'local'}); nothing was stored`, 'a local mode’s control plane is driven from its repository; start a server with `slipway server --home DIR`');
  }
  const file = saveLogin(ctx.env, { url, token });
  if (values.json) ctx.out(`${JSON.stringify({ url, file, version: health.version ?? null, apps: health.apps ?? null })}\n`);
  else ctx.out(`logged in to ${url} (Slipway ${health.version ?? '?'}, ${health.apps ?? 0} app(s)); the token is kept in ${file}\n`);
  return 0;
};
