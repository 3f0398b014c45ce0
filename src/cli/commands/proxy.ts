// `slipway proxy`: the edge proxy daemon (the data plane). Other commands start it on demand;
// this runs it in the foreground, or reports on, upgrades or stops the one of this Slipway home.
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import { appMarkerOf, serverHomePaths } from '../../home/paths.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt, type OptionValues } from '../args.js';
import type { CliContext } from '../context.js';
import type { AcmeChallengeType, AcmeSettingsFile } from '../../proxy/tls/acme-settings.js';
import type { AcmeNameStatus } from '../../ports/proxy.js';

export const spec: CommandSpec = {
  name: 'proxy',
  usage:
    'slipway proxy [--admin-port N] [--admin-socket PATH] | slipway proxy status | slipway proxy upgrade | slipway proxy stop | slipway proxy listen [--http ADDR:PORT|off] [--https ADDR:PORT|off] [--acme URL|off --acme-email ADDR [--acme-challenge http-01|tls-alpn-01] [--acme-ca FILE|off] [--acme-retry 60s]] | slipway proxy certs add|rm --cert FILE [--key FILE]; each with [--home DIR] (a server’s home: the edge of all its apps)',
  options: {
    home: { type: 'string', description: 'the home whose proxy this is: a server’s home (`slipway server --home DIR`), whose proxy is the edge of all its apps; default: SLIPWAY_HOME, else the repository’s' },
    'admin-port': { type: 'string', description: 'loopback port of the admin API (default: any free port)' },
    'admin-socket': { type: 'string', description: 'also serve the admin API on this unix socket (absolute path, made 0600; no token: the file mode guards it): how the control plane of several hosts reaches this proxy, docs/containers.md' },
    http: { type: 'string', description: '`listen`: the shared plain-HTTP listener routed by Host, e.g. 0.0.0.0:80 (`off` removes it)' },
    https: { type: 'string', description: '`listen`: the shared TLS listener routed by SNI and Host, e.g. 0.0.0.0:443 (`off` removes it)' },
    cert: { type: 'string', description: '`certs`: a PEM certificate chain (absolute path); it serves the names in its subjectAltName' },
    key: { type: 'string', description: '`certs add`: the PEM private key of --cert (absolute path; keep it 0600)' },
    acme: { type: 'string', description: '`listen`: get and renew the certificates of the served names from this ACME directory (https URL; `off` stops it); see docs/certificates.md' },
    'acme-email': { type: 'string', description: '`listen`: the contact address of the ACME account' },
    'acme-challenge': { type: 'string', description: '`listen`: http-01 (answered on the http listener, the default) or tls-alpn-01 (on the https listener)' },
    'acme-ca': { type: 'string', description: '`listen`: a PEM file of CA certificates trusted for the ACME directory only, for a test CA such as pebble (`off` removes it)' },
    'acme-retry': { type: 'string', description: '`listen`: the wait after a failed ACME attempt, doubled after each further failure up to 1h (default 60s)' },
  },
  details:
    'The proxy is separate from the control plane, so that neither a deploy nor a restart of the\n' +
    'control plane drops traffic. On a server (`slipway server --home DIR`) every app is served by the\n' +
    'proxy of DIR: give it with --home DIR (or SLIPWAY_HOME=DIR), never an app’s home.\n' +
    '`upgrade` replaces the proxy process without closing its ports\n' +
    '(in-flight and keep-alive requests are served to the end). Its routes live in <home>/proxy/routes.json\n' +
    'and survive its restart; `GET /metrics` on the admin port is Prometheus text (no token needed).\n' +
    '`listen` sets the shared listeners, kept in <home>/proxy/edge.json (none by default: each environment\n' +
    'on its own loopback port only); they serve every environment by the Host it claims in\n' +
    '`environments.<env>.domains`. A running proxy is upgraded to take them at once.\n' +
    '`certs add` names a certificate/key pair for the HTTPS listener (checked first: a key that does not\n' +
    'match is refused); the proxy re-reads the files when they change, without a restart.\n' +
    '`listen --acme URL --acme-email ADDR` has every name the proxy serves (but wildcards and names a\n' +
    'certificate file serves) issued a certificate over ACME and renewed at 2/3 of its lifetime; keys\n' +
    'stay 0600 in <home>/proxy/acme/. Enabling it accepts the CA’s terms of service.',
};

export const run = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseCommand(spec, argv);
  const sub = positionals[0];
  if (sub !== undefined && sub !== 'status' && sub !== 'upgrade' && sub !== 'stop' && sub !== 'listen' && sub !== 'certs') throw new SlipwayError('usage', `unknown subcommand "${sub}"`, `usage: ${spec.usage}`);
  noExtraPositionals(spec, positionals, sub === 'certs' ? 2 : 1);
  const adminSocket = stringOpt(values, 'admin-socket');
  if (adminSocket !== undefined && !adminSocket.startsWith('/')) throw new SlipwayError('usage', `--admin-socket must be an absolute path, not "${adminSocket}"`, 'e.g. --admin-socket /home/slipway/proxy.sock');
  const given = stringOpt(values, 'home');
  const home = given === undefined ? await ctx.home() : resolve(ctx.cwd, given);
  refuseAppHome(home);
  const { ProxyClient, ensureProxy } = await import('../../adapters/proxy/client.js');
  if (sub === 'status') {
    const c = new ProxyClient(home);
    const alive = await c.isAlive();
    const routes = alive ? await c.getRoutes() : [];
    const h = alive ? await c.health() : undefined;
    if (values.json) ctx.out(`${JSON.stringify({ running: alive, routes, listeners: h?.listeners ?? [], certificates: h?.certificates ?? [], ...(h?.acme ? { acme: h.acme } : {}) }, null, 2)}\n`);
    else if (!alive) ctx.out('not running (deployments start it)\n');
    else {
      for (const l of h?.listeners ?? []) ctx.out(`${l.name.padEnd(12)} ${l.address} ${l.listening ? 'shared, by Host' : `NOT LISTENING: ${l.error ?? ''}`}\n`);
      for (const c of h?.certificates ?? []) ctx.out(`certificate  ${c.names.join(', ') || c.cert}${c.notAfter ? ` until ${c.notAfter}` : ''}${c.error ? ` — REFUSED: ${c.error}` : ''}\n`);
      if (h?.acme) ctx.out(`acme         ${h.acme.directory} (${h.acme.challenge})${h.acme.names.length === 0 ? ': no name to certify yet' : ''}\n`);
      for (const n of h?.acme?.names ?? []) ctx.out(`  ${n.name} ${acmeLine(n)}\n`);
    }
    if (!values.json && alive) for (const r of routes) ctx.out(`${r.env.padEnd(12)} ${r.host}:${r.port} ${r.listening ? '' : `NOT LISTENING: ${r.error ?? ''} `}${r.backends.map((b) => `${b.release} ${Math.round(b.weight * 100)}% (${b.instances.length})`).join(', ')}${r.domains ? ` — ${r.domains.join(', ')}` : ''}\n`);
    return 0;
  }
  if (sub === 'listen') return listen(ctx, home, values, undefined);
  if (sub === 'certs') return listen(ctx, home, values, positionals[1]);
  if (values.http !== undefined || values.https !== undefined || ACME_OPTIONS.some((o) => values[o] !== undefined)) throw new SlipwayError('usage', '--http, --https and --acme… go with `slipway proxy listen`', `usage: ${spec.usage}`);
  if (sub === 'upgrade') {
    const r = await (await ensureProxy(home)).upgrade();
    if (!r.ok) throw new SlipwayError('failed', `the upgrade failed: ${r.message}`);
    ctx.out(`upgraded: the proxy is now pid ${r.value.pid}\n`);
    return 0;
  }
  if (sub === 'stop') {
    const c = new ProxyClient(home);
    if (await c.isAlive()) await c.stop();
    ctx.out('stopped (while environments are deployed, the control plane starts it again; `slipway down` stops everything)\n');
    return 0;
  }
  const raw = stringOpt(values, 'admin-port');
  const adminPort = raw === undefined ? undefined : Number(raw);
  if (adminPort !== undefined && (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65535)) throw new SlipwayError('usage', `--admin-port must be a port number, not "${raw}"`);
  const { serveProxy } = await import('../../proxy/main.js');
  await serveProxy({ home, adminPort, ...(adminSocket === undefined ? {} : { adminSocket }) });
  return 0;
};

/**
 * The home of one app of a server is refused: the server's apps share the proxy of the server's
 * home, and a proxy set up under an app's home would serve nothing.
 */
function refuseAppHome(home: string): void {
  const server = dirname(dirname(home));
  if (basename(dirname(home)) !== 'apps' || !existsSync(appMarkerOf(home)) || !existsSync(serverHomePaths(server).marker)) return;
  throw new SlipwayError('usage', `${home} is the home of the app "${basename(home)}" of the server ${server}, whose apps share the server’s edge proxy`, `use the server’s home: slipway proxy … --home ${server}`);
}

/** `slipway proxy listen`: saves the shared listeners; a running proxy takes them by an upgrade. */
async function listen(ctx: CliContext, home: string, values: OptionValues, certs: string | undefined): Promise<number> {
  const { loadEdgeSettings, parseListenAddress, saveEdgeSettings, checkEdgeSettings, formatAddress } = await import('../../proxy/edge-settings.js');
  const { acmeSettingsFile } = await import('../../proxy/tls/acme-settings.js');
  const current = loadEdgeSettings(home);
  const next = current.ok ? { ...current.value } : {};
  if (certs !== undefined) {
    if (certs !== 'add' && certs !== 'rm') throw new SlipwayError('usage', `unknown subcommand "certs ${certs}"`, `usage: ${spec.usage}`);
    const path = await import('node:path');
    const cert = stringOpt(values, 'cert');
    const key = stringOpt(values, 'key');
    if (cert === undefined || (certs === 'add' && key === undefined)) throw new SlipwayError('usage', `certs ${certs} needs --cert FILE${certs === 'add' ? ' --key FILE' : ''}`);
    const files = { cert: path.resolve(cert), key: path.resolve(key ?? '') };
    const kept = (next.certificates ?? []).filter((c) => c.cert !== files.cert);
    if (certs === 'add') {
      const { loadPair } = await import('../../proxy/tls/certs.js');
      const loaded = loadPair(files);
      if (!loaded.ok) throw new SlipwayError('usage', loaded.message, 'give the key that belongs to this certificate');
      kept.push(files);
    } else if (kept.length === (next.certificates ?? []).length) throw new SlipwayError('not_found', `${files.cert} is not among the proxy's certificates`);
    next.certificates = kept.length > 0 ? kept : undefined;
  }
  for (const name of ['http', 'https'] as const) {
    const raw = stringOpt(values, name);
    if (raw === undefined) continue;
    if (raw === 'off') {
      delete next[name];
      continue;
    }
    const a = parseListenAddress(raw);
    if (!a.ok) throw new SlipwayError('usage', `--${name}: ${a.message}`);
    next[name] = a.value;
  }
  const acme = await acmeOptions(values, next.acme ? acmeSettingsFile(next.acme) : undefined, next.http !== undefined);
  const checked = checkEdgeSettings({
    ...(next.http ? { http: formatAddress(next.http) } : {}),
    ...(next.https ? { https: formatAddress(next.https) } : {}),
    ...(next.certificates ? { certificates: next.certificates } : {}),
    ...(acme ? { acme } : {}),
  });
  if (!checked.ok) throw new SlipwayError('usage', checked.message);
  saveEdgeSettings(home, checked.value);
  const shown = [...(['http', 'https'] as const).map((n) => `${n} ${checked.value[n] ? formatAddress(checked.value[n]) : 'off'}`), `acme ${checked.value.acme ? `${checked.value.acme.directory} (${checked.value.acme.challenge})` : 'off'}`].join(', ');
  const { ProxyClient } = await import('../../adapters/proxy/client.js');
  const c = new ProxyClient(home);
  if (!(await c.isAlive())) {
    ctx.out(`saved (${shown}); the proxy opens them when it starts\n`);
    return 0;
  }
  const r = await c.upgrade();
  if (!r.ok) throw new SlipwayError('failed', `saved (${shown}), but the running proxy could not be replaced: ${r.message}`, 'run `slipway proxy upgrade` again, or stop and start it');
  ctx.out(`listening: ${shown} (the proxy is now pid ${r.value.pid})\n`);
  return 0;
}

const ACME_OPTIONS = ['acme', 'acme-email', 'acme-challenge', 'acme-ca', 'acme-retry'] as const;

/**
 * The `acme` object of edge.json after the --acme… options: `current` changed by those given, or
 * undefined (off). Each value is checked here, with the option's name in the message; the CA file
 * is read now so that a wrong one is refused before anything is saved.
 */
async function acmeOptions(values: OptionValues, current: AcmeSettingsFile | undefined, hasHttp: boolean): Promise<AcmeSettingsFile | undefined> {
  const { checkDirectory, checkEmail, parseRetry, readCaFile, CHALLENGES } = await import('../../proxy/tls/acme-settings.js');
  const path = await import('node:path');
  const given = Object.fromEntries(ACME_OPTIONS.map((o) => [o, stringOpt(values, o)])) as Record<(typeof ACME_OPTIONS)[number], string | undefined>;
  if (given.acme === 'off') {
    const extra = ACME_OPTIONS.find((o) => o !== 'acme' && given[o] !== undefined);
    if (extra) throw new SlipwayError('usage', `--${extra} cannot go with --acme off`);
    return undefined;
  }
  if (ACME_OPTIONS.every((o) => given[o] === undefined)) return current;
  let next: Partial<AcmeSettingsFile> = { ...current };
  if (given.acme !== undefined) {
    const d = checkDirectory(given.acme);
    if (!d.ok) throw new SlipwayError('usage', `--acme: ${d.message}`);
    next = { ...next, directory: d.value };
  }
  if (next.directory === undefined) throw new SlipwayError('usage', 'ACME is off: turn it on with --acme URL --acme-email ADDR first');
  if (given['acme-email'] !== undefined) {
    const e = checkEmail(given['acme-email']);
    if (!e.ok) throw new SlipwayError('usage', `--acme-email: ${e.message}`);
    next.email = e.value;
  }
  if (next.email === undefined) throw new SlipwayError('usage', '--acme needs --acme-email ADDR: the contact of the ACME account');
  const challenge = given['acme-challenge'];
  if (challenge !== undefined) {
    if (!CHALLENGES.includes(challenge as AcmeChallengeType)) throw new SlipwayError('usage', `--acme-challenge must be one of ${CHALLENGES.join(', ')}, not ${JSON.stringify(challenge)}`);
    next.challenge = challenge as AcmeChallengeType;
  }
  next.challenge ??= hasHttp ? 'http-01' : 'tls-alpn-01';
  if (given['acme-ca'] === 'off') delete next.ca;
  else if (given['acme-ca'] !== undefined) {
    const file = path.resolve(given['acme-ca']);
    const ca = readCaFile(file);
    if (!ca.ok) throw new SlipwayError('usage', `--acme-ca: ${ca.message}`);
    next.ca = file;
  }
  if (given['acme-retry'] !== undefined) {
    const r = parseRetry(given['acme-retry']);
    if (!r.ok) throw new SlipwayError('usage', `--acme-retry: ${r.message}`);
    next.retry = given['acme-retry'];
  }
  next.retry ??= '60s';
  return next as AcmeSettingsFile;
}

/** One ACME name for `proxy status` and `status`: its certificate, and the failure with its retry. */
export function acmeLine(n: AcmeNameStatus): string {
  const cert = n.serial ? `serial ${n.serial} until ${n.notAfter ?? '?'}, renewal at ${n.renewAt ?? '?'}` : 'no certificate yet';
  if (n.state === 'issuing') return `${cert} — being ${n.serial ? 'renewed' : 'issued'} now`;
  if (n.error) return `${cert} — FAILING (${n.failures} attempt(s)): ${n.error}; next attempt at ${n.nextAttemptAt}`;
  return cert;
}
