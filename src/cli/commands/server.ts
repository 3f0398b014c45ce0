// `slipway server [status | stop]`: the control plane. The CLI starts it on demand; this command
// runs it in the foreground, or reports on / stops the one of this Slipway home.
import { SlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt, type OptionValues } from '../args.js';
import { findServer } from '../client.js';
import type { CliContext } from '../context.js';
import { resolve } from 'node:path';
import { homePaths } from '../../home/paths.js';
import { lockHolder } from '../../home/lock.js';
import type { ServerTls } from '../../server/tls.js';

const DEFAULT_LISTEN = '127.0.0.1:7400';

/** Loopback addresses (all of 127/8): the only ones the API is served on without TLS. */
export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);

/** `ADDR:PORT` (`[::1]:7400` for IPv6). */
export const parseListen = (text: string): { host: string; port: number } => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (!m || host === undefined || !Number.isInteger(port) || port > 65535) throw new SlipwayError('usage', `--listen must be ADDR:PORT such as 127.0.0.1:7400, not "${text.slice(0, 80)}"`, 'an IPv6 address in brackets: [::1]:7400; a non-loopback one with TLS');
  return { host, port };
};

/** The TLS options of server mode, their combinations checked (the files and names are not read yet). */
export type TlsChoice = { kind: 'files'; cert: string; key: string } | { kind: 'self-signed'; names: string | undefined } | { kind: 'none' };

export const tlsChoice = (values: OptionValues): TlsChoice => {
  const cert = stringOpt(values, 'tls-cert');
  const key = stringOpt(values, 'tls-key');
  const selfSigned = values['tls-self-signed'] === true;
  const names = stringOpt(values, 'tls-names');
  if ((cert === undefined) !== (key === undefined)) throw new SlipwayError('usage', '--tls-cert and --tls-key go together: the certificate (PEM chain) and its private key', `usage: ${spec.usage}`);
  if (cert !== undefined && selfSigned) throw new SlipwayError('usage', 'give either --tls-cert/--tls-key or --tls-self-signed, not both', `usage: ${spec.usage}`);
  if (names !== undefined && !selfSigned) throw new SlipwayError('usage', '--tls-names is for --tls-self-signed (a certificate of your own names its hosts itself)', `usage: ${spec.usage}`);
  if (cert !== undefined && key !== undefined) return { kind: 'files', cert, key };
  return selfSigned ? { kind: 'self-signed', names } : { kind: 'none' };
};

/** Without TLS only a loopback address is served: tokens never cross a network in clear text. */
export const requireTlsOffLoopback = (host: string, listen: string): void => {
  if (!isLoopback(host)) {
    throw new SlipwayError('usage', `--listen ${listen}: the API and the git endpoint would carry tokens in clear text; a non-loopback address is served over TLS only`, 'add --tls-cert FILE --tls-key FILE, or --tls-self-signed [--tls-names NAME,…] (docs/server.md)');
  }
};

/**
 * The TLS of server mode from its options: `--tls-cert FILE --tls-key FILE`, or `--tls-self-signed`
 * (made once into DIR/tls/, for `--tls-names` and the listen address).
 */
const serverTls = async (values: OptionValues, cwd: string, home: string, host: string, listen: string): Promise<ServerTls | undefined> => {
  const choice = tlsChoice(values);
  const tls = await import('../../server/tls.js');
  if (choice.kind === 'files') return tls.loadServerTls({ cert: resolve(cwd, choice.cert), key: resolve(cwd, choice.key) });
  if (choice.kind === 'self-signed') return tls.ensureSelfSigned(home, tls.selfSignedNames(host, choice.names === undefined ? [] : tls.parseTlsNames(choice.names))).tls;
  requireTlsOffLoopback(host, listen);
  return undefined;
};

export const spec: CommandSpec = {
  name: 'server',
  usage: 'slipway server [--port N] | slipway server --home DIR [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE | --tls-self-signed [--tls-names N,…]] | slipway server status|stop [--home DIR] | slipway server install --home DIR [--listen …] [--tls-…] [--user NAME] [--output DIR [--force] | --dry-run]',
  options: {
    port: { type: 'string', description: 'loopback port to listen on (default: the port of its last start if free, else any free port; kept in .slipway/server.port)' },
    home: { type: 'string', description: 'server mode: the server’s home, with one directory per app (`slipway apps create`)' },
    listen: { type: 'string', description: 'server mode: the address and port to listen on (default 127.0.0.1:7400); a non-loopback address only with TLS' },
    'tls-cert': { type: 'string', description: 'server mode: serve the API and git over HTTPS with this PEM certificate chain (re-read when it changes)' },
    'tls-key': { type: 'string', description: 'server mode: the PEM private key of --tls-cert (refused if it is not that certificate’s)' },
    'tls-self-signed': { type: 'boolean', description: 'server mode: serve over HTTPS with a self-signed certificate made once into DIR/tls/; its fingerprint is printed for `slipway login --fingerprint`' },
    'tls-names': { type: 'string', description: 'with --tls-self-signed: the DNS names and IP addresses clients use, comma-separated (the listen address and loopback are added)' },
    user: { type: 'string', description: '`install`: the user the service runs as (default slipway; root makes steps and apps run as a uid of their own)' },
    output: { type: 'string', description: '`install`: write the unit into this directory (made if missing) instead of /etc/systemd/system' },
    'dry-run': { type: 'boolean', description: '`install`: print the unit, write nothing' },
    force: { type: 'boolean', description: '`install`: replace a unit file that differs' },
    foreground: { type: 'boolean', description: 'accepted for compatibility; the server always runs in the foreground' },
  },
  details:
    'Local mode (the default): other commands start the server in the background when it is not\n' +
    'running; it listens on 127.0.0.1 only and accepts requests that carry the token kept in the\n' +
    'Slipway home (mode 0600).\n' +
    'Server mode (--home DIR): one control plane for many apps, each under DIR/apps/<app>/, its API\n' +
    'under /v1/apps/<app>/ and its repository at /git/<app>.git. The admin token is DIR/token: use it\n' +
    'with `slipway login URL` (see docs/server.md).\n' +
    'TLS: with --tls-cert/--tls-key or --tls-self-signed the API and the git endpoint are served over\n' +
    'HTTPS only, on any address; without TLS only a loopback address (127.0.0.0/8, ::1) is accepted.\n' +
    '`install` writes the systemd unit slipway.service: this server with the same --home, --listen and\n' +
    'TLS options, run as --user. The control plane starts the edge proxy and the apps’ instances\n' +
    'itself, in the unit, and KillMode=process keeps them serving across its restarts. It enables and\n' +
    'starts nothing: it prints the systemctl lines, and what is missing first (the user, the home).',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const sub = positionals[0];
  if (sub !== undefined && sub !== 'status' && sub !== 'stop' && sub !== 'install') throw new SlipwayError('usage', `unknown subcommand "${sub}"`, `usage: ${spec.usage}`);
  noExtraPositionals(spec, positionals, 1);
  const serverHome = stringOpt(values, 'home');
  if (sub === 'install') return install(ctx, values, serverHome);
  for (const o of ['tls-cert', 'tls-key', 'tls-self-signed', 'tls-names']) {
    if (serverHome === undefined && values[o] !== undefined) throw new SlipwayError('usage', `--${o} is for server mode: give the server’s home with --home DIR (local mode listens on loopback only)`, `usage: ${spec.usage}`);
  }
  if (serverHome === undefined && values.listen !== undefined) throw new SlipwayError('usage', '--listen is for server mode: give the server’s home with --home DIR', `usage: ${spec.usage}`);
  if (serverHome !== undefined && values.port !== undefined) throw new SlipwayError('usage', 'in server mode say where to listen with --listen ADDR:PORT, not --port', `usage: ${spec.usage}`);
  for (const o of ['user', 'output', 'dry-run', 'force']) if (values[o] !== undefined) throw new SlipwayError('usage', `--${o} goes with \`slipway server install\``, `usage: ${spec.usage}`);
  const home = serverHome === undefined ? await ctx.home() : resolve(ctx.cwd, serverHome);
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
  const log = (line: string): void => ctx.err(`${new Date().toISOString()} ${line}\n`);
  if (serverHome !== undefined) {
    const listen = stringOpt(values, 'listen') ?? DEFAULT_LISTEN;
    const { host, port } = parseListen(listen);
    const tls = await serverTls(values, ctx.cwd, home, host, listen);
    const { startAppsServer } = await import('../../server/compose-apps.js');
    const server = await startAppsServer({ home, host, port, log, ...(tls ? { tls } : {}) });
    if (!server) throw alreadyRunning(home);
    return waitForStop(server);
  }
  const portRaw = stringOpt(values, 'port');
  const port = portRaw === undefined ? undefined : Number(portRaw);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new SlipwayError('usage', `--port must be a port number, not "${portRaw}"`);
  const { startServer } = await import('../../server/daemon.js');
  const server = await startServer({ repo: await ctx.repo(), home, port, log });
  if (!server) throw alreadyRunning(home);
  return waitForStop(server);
};

/**
 * A second control plane of one home refuses to start (exit 3, `conflict`): a service manager or a
 * person sees that it did not run. The CLI's own start on demand (cli/client.ts) takes exit 3 as
 * "another one is starting" and waits for that one.
 */
const alreadyRunning = (home: string): SlipwayError => {
  const pid = lockHolder(homePaths(home).serverLock);
  return new SlipwayError('conflict', `another control plane${pid === undefined ? '' : ` (pid ${pid})`} already runs for ${home}`, `see it with \`slipway server status --home ${home}\`; stop it with \`slipway server stop --home ${home}\` first`);
};

const waitForStop = async (server: { stop(reason: string): Promise<void>; stopped: Promise<void> }): Promise<number> => {
  const onSignal = (sig: NodeJS.Signals): void => void server.stop(`received ${sig}`);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onSignal);
  await server.stopped;
  return 0;
};

/** `slipway server install`: checks the options as `slipway server` would, then writes (or prints) the unit. */
const install = async (ctx: CliContext, values: OptionValues, serverHome: string | undefined): Promise<number> => {
  const m = await import('./server-install.js');
  if (serverHome === undefined) throw new SlipwayError('usage', 'install needs the server’s home: `slipway server install --home DIR`', 'e.g. slipway server install --home /srv/slipway --user slipway');
  if (values.port !== undefined) throw new SlipwayError('usage', 'say where the server listens with --listen ADDR:PORT, not --port', `usage: ${spec.usage}`);
  if (values.foreground !== undefined) throw new SlipwayError('usage', '--foreground is for running the server, not for `install`', `usage: ${spec.usage}`);
  if (values['dry-run'] === true && values.output !== undefined) throw new SlipwayError('usage', 'give --dry-run or --output DIR, not both', `usage: ${spec.usage}`);
  const home = m.absolutePath('--home', serverHome);
  const user = stringOpt(values, 'user') ?? 'slipway';
  const listen = stringOpt(values, 'listen') ?? DEFAULT_LISTEN;
  const { host } = parseListen(listen);
  const serverArgs = ['--listen', listen];
  const choice = tlsChoice(values);
  if (choice.kind === 'files') {
    const files = { cert: m.absolutePath('--tls-cert', choice.cert), key: m.absolutePath('--tls-key', choice.key) };
    // Checked now (a key that is not the certificate's is refused), so that the service starts.
    const { loadServerTls } = await import('../../server/tls.js');
    loadServerTls(files);
    serverArgs.push('--tls-cert', files.cert, '--tls-key', files.key);
  } else if (choice.kind === 'self-signed') {
    serverArgs.push('--tls-self-signed');
    if (choice.names !== undefined) {
      const { parseTlsNames } = await import('../../server/tls.js');
      serverArgs.push('--tls-names', parseTlsNames(choice.names).join(','));
    }
  } else requireTlsOffLoopback(host, listen);
  const unit = m.systemdUnit({ home, user, serverArgs, node: process.execPath, bin: m.slipwayBin() });
  if (values['dry-run'] === true) {
    if (values.json) ctx.out(`${JSON.stringify({ unit }, null, 2)}\n`);
    else ctx.out(`# ${m.SYSTEM_UNITS}/${unit.name}\n${unit.text}`);
    return 0;
  }
  const output = stringOpt(values, 'output');
  if (output === '') throw new SlipwayError('usage', '--output needs a directory', 'e.g. --output ./units');
  const dir = output === undefined ? m.SYSTEM_UNITS : resolve(ctx.cwd, output);
  const written = m.writeUnit(unit, dir, { force: values.force === true, madeByDefault: output === undefined });
  const before = m.prerequisites(home, user);
  const installed = dir === m.SYSTEM_UNITS;
  if (values.json) {
    ctx.out(`${JSON.stringify({ written, before, enabled: false, started: false }, null, 2)}\n`);
    return 0;
  }
  ctx.out(`${written.state === 'same' ? 'unchanged' : written.state === 'new' ? 'wrote' : 'replaced'} ${written.file}\n`);
  if (before.length > 0) ctx.out(`\nfirst, as root:\n${before.map((l) => `  ${l}\n`).join('')}`);
  ctx.out(
    [
      '',
      'nothing was enabled or started; as root:',
      ...(installed ? [] : [`  cp ${m.shellWord(written.file)} ${m.SYSTEM_UNITS}/`]),
      '  systemctl daemon-reload',
      `  systemctl enable --now ${unit.name}`,
      `  journalctl -u ${unit.name} -f    # its log${choice.kind === 'self-signed' ? ': the certificate’s fingerprint for `slipway login --fingerprint`' : ''}`,
      '',
    ].join('\n'),
  );
  return 0;
};
