// `slipway remote [init|url]`: the app's canonical repository — create it, and say how to add it
// as a git remote over a local path or over HTTP.
import { join } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'remote',
  usage: 'slipway remote [init|url] [--json]',
  options: {},
  details:
    'The canonical repository is a bare repository at .slipway/repo.git, first made from your\n' +
    'main (or empty when there is none). Its hook refuses direct pushes to main; push to\n' +
    'refs/for/main to queue a change. Over HTTP the password is the token in .slipway/token (any\n' +
    'user name); the port is the control plane’s (fix it with `slipway server --port N`).',
};

interface RemoteInfo {
  path: string;
  main: string | null;
  app: string | null;
  httpPath: string | null;
}

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  noExtraPositionals(spec, positionals, 1);
  const sub = positionals[0] ?? 'url';
  if (sub !== 'init' && sub !== 'url') throw new SlipwayError('usage', `unknown subcommand "${sub}"`, `usage: ${spec.usage}`);
  const client = await ctx.client();
  if (sub === 'init') await client.request('POST', '/v1/remote');
  const info = await client.request<RemoteInfo>('GET', '/v1/remote');
  const url = info.httpPath ? `${client.base}${info.httpPath}` : null;
  const token = ctx.remote() ? 'the token you logged in with' : join(await ctx.home(), 'token');
  if (values.json) {
    ctx.out(`${JSON.stringify({ ...info, url, tokenFile: token }, null, 2)}\n`);
    return 0;
  }
  ctx.out(
    [
      `canonical repository (main ${info.main?.slice(0, 12) ?? 'not set yet'}):`,
      `  local path: ${info.path}`,
      `  http:       ${url ?? '(name the app in slipway.yaml first)'}   (password: the token in ${token})`,
      '',
      'add it as a remote, queue your commit, update after the merge:',
      `  git remote add slipway ${info.path}`,
      '  git push slipway HEAD:refs/for/main',
      '  git pull slipway main',
      '',
    ].join('\n'),
  );
  return 0;
};
