// `slipway server [status | stop]`: the control plane. The CLI starts it on demand; this command
// runs it in the foreground, or reports on / stops the one of this Slipway home.
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt } from '../args.js';
import { findServer } from '../client.js';
import type { CliContext } from '../context.js';

export const spec: CommandSpec = {
  name: 'server',
  usage: 'slipway server [--port N] | slipway server status | slipway server stop',
  options: {
    port: { type: 'string', description: 'loopback port to listen on (default: any free port)' },
    foreground: { type: 'boolean', description: 'accepted for compatibility; the server always runs in the foreground' },
  },
  details:
    'Other commands start the server in the background when it is not running; it listens on\n' +
    '127.0.0.1 only and accepts requests that carry the token kept in the Slipway home (mode 0600).',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const sub = positionals[0];
  if (sub !== undefined && sub !== 'status' && sub !== 'stop') throw new SlipwayError('usage', `unknown subcommand "${sub}"`, `usage: ${spec.usage}`);
  noExtraPositionals(spec, positionals, 1);
  const home = await ctx.home();
  if (sub === 'status') {
    const c = await findServer(home);
    if (values.json) ctx.out(`${JSON.stringify(c ? { running: true, ...c.server } : { running: false })}\n`);
    else ctx.out(c ? `running: pid ${c.server.pid}, ${c.base}, version ${c.server.version}\n` : 'not running (any command starts it)\n');
    return 0;
  }
  if (sub === 'stop') {
    const c = await findServer(home);
    if (!c) {
      ctx.out('not running\n');
      return 0;
    }
    await c.request('POST', '/v1/shutdown');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await findServer(home))) await new Promise((r) => setTimeout(r, 50));
    ctx.out(`stopped (pid ${c.server.pid})\n`);
    return 0;
  }
  const portRaw = stringOpt(values, 'port');
  const port = portRaw === undefined ? undefined : Number(portRaw);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new SlipwayError('usage', `--port must be a port number, not "${portRaw}"`);
  const log = (line: string): void => ctx.err(`${new Date().toISOString()} ${line}\n`);
  const { startServer } = await import('../../server/daemon.js');
  const server = await startServer({ repo: await ctx.repo(), home, port, log });
  if (!server) return 0;
  const onSignal = (sig: NodeJS.Signals): void => void server.stop(`received ${sig}`);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onSignal);
  await server.stopped;
  return 0;
};
