// `slipway login URL`: drive a Slipway server from this machine. Over https://, the server's
// certificate is checked first, before any token is read or sent: publicly trusted, signed by the CA
// of --ca FILE, or exactly the one of --fingerprint sha256:… (or confirmed at a terminal); what is
// not is refused with its fingerprint shown. The token is read from stdin (or a prompt without
// echo), checked with a request to the server, and only then stored with the trust, 0600, under
// $XDG_CONFIG_HOME/slipway/ (or ~/.config/slipway/). A wrong URL, certificate or token stores nothing.
import { readFileSync } from 'node:fs';
import { SlipwayError, isSlipwayError } from '../../core/errors.js';
import type { CommandSpec } from '../args.js';
import { noExtraPositionals, parseCommand, stringOpt, type OptionValues } from '../args.js';
import { Client, type ServerTrust } from '../client.js';
import type { CliContext } from '../context.js';
import { gitCaFile, normaliseServerUrl, saveLogin } from '../remote-config.js';
import { readSecretInput } from '../secret-input.js';

export const spec: CommandSpec = {
  name: 'login',
  usage: 'slipway login URL [--ca FILE | --fingerprint sha256:…]  (the token on stdin, or typed at the prompt)',
  options: {
    ca: { type: 'string', description: 'https: trust the server’s certificate when this PEM CA signed it (a private CA)' },
    fingerprint: { type: 'string', description: 'https: trust exactly the certificate with this SHA-256 fingerprint (the server prints it; a self-signed one)' },
  },
  details:
    'The token is the server’s admin token (DIR/token on the server) or one from `slipway tokens\n' +
    'create`. It is checked against the server before it is stored. Then every command drives that\n' +
    'server, for the app named by slipway.yaml’s `app:` or --app. CI can set SLIPWAY_SERVER and\n' +
    'SLIPWAY_TOKEN instead (with SLIPWAY_CA=FILE or SLIPWAY_FINGERPRINT=sha256:… for a server that is not\n' +
    'publicly trusted). `slipway logout` forgets the login.\n' +
    'Over https:// a certificate that is not publicly trusted needs --ca or --fingerprint (at a terminal\n' +
    'login shows the fingerprint and asks); the pin is stored with the token and every later command\n' +
    'checks it before sending anything. For git, login writes the certificate to trust beside the login\n' +
    '(server-ca.pem) and prints the `git config http.<URL>/.sslCAInfo` line that tells git to use it.',
};

/** What the server's certificate is checked against, decided before any token is read. */
const decideTrust = async (ctx: CliContext, url: string, values: OptionValues): Promise<{ trust: ServerTrust; gitPem?: string; note?: string }> => {
  const caFile = stringOpt(values, 'ca');
  const pinned = stringOpt(values, 'fingerprint');
  if (!url.startsWith('https:')) {
    if (caFile !== undefined || pinned !== undefined) throw new SlipwayError('usage', '--ca and --fingerprint are for an https:// server', 'the server serves TLS with `slipway server --home DIR --tls-…`');
    return { trust: {} };
  }
  if (caFile !== undefined && pinned !== undefined) throw new SlipwayError('usage', 'give --ca or --fingerprint, not both');
  const { parseFingerprint } = await import('../../server/tls.js');
  const fingerprint = pinned === undefined ? undefined : parseFingerprint(pinned);
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new SlipwayError('usage', `cannot read --ca ${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new SlipwayError('usage', `--ca ${caFile} holds no PEM certificate`);
  }
  const { pinMismatch, presentedCertificate } = await import('../tls-trust.js');
  let presented: Awaited<ReturnType<typeof presentedCertificate>>;
  try {
    presented = await presentedCertificate(new URL(url), ca);
  } catch (e) {
    throw new SlipwayError('unavailable', `${url} is not a Slipway server this CLI can use: no TLS handshake (${e instanceof Error ? e.message : String(e)}); nothing was stored`, 'check the address and port, and that the server was started with --tls-… (it prints “over HTTPS”)');
  }
  if (fingerprint !== undefined) {
    if (presented.fingerprint !== fingerprint) throw pinMismatch(url, presented.fingerprint, fingerprint);
    return presented.selfSigned
      ? { trust: { fingerprint }, gitPem: presented.pem }
      : { trust: { fingerprint }, note: 'the pinned certificate is not self-signed: give git the CA that signed it (http.sslCAInfo)' };
  }
  if (ca !== undefined) {
    if (!presented.trusted) throw new SlipwayError('refused', `the certificate of ${url} is not trusted with --ca ${caFile} (${presented.reason ?? 'unknown'}); nothing was stored`, `its fingerprint is ${presented.fingerprint}: compare it with the one the server printed`);
    return { trust: { ca }, gitPem: ca };
  }
  if (presented.trusted) return { trust: {} };
  const question = `the certificate of ${url} is not publicly trusted (${presented.reason ?? 'unknown'}); its fingerprint is\n  ${presented.fingerprint}\n`;
  if (!(ctx.isTTY && process.stdin.isTTY)) {
    throw new SlipwayError('refused', `${question}nothing was stored`, `compare it with the fingerprint the server printed when it started, then: slipway login ${url} --fingerprint ${presented.fingerprint}`);
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question}Is it the one the server printed when it started? Trust it [y/N] `);
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new SlipwayError('canceled', 'not trusted; nothing was stored');
  return presented.selfSigned ? { trust: { fingerprint: presented.fingerprint }, gitPem: presented.pem } : { trust: { fingerprint: presented.fingerprint } };
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
  const { trust, gitPem, note } = await decideTrust(ctx, url, values);
  const token = (await readSecretInput(ctx, `token for ${url}`)).toString('utf8').trim();
  if (token === '' || /\s/.test(token)) throw new SlipwayError('usage', 'no token was given (or it has spaces in it); nothing was stored', 'pipe it in: `slipway login URL < token-file`');
  const client = new Client(url, token, { pid: 0, port: 0, repo: '', version: '' }, '', '', trust);
  let health: Health;
  try {
    health = await client.request<Health>('GET', '/v1/health', undefined, AbortSignal.timeout(10_000));
  } catch (e) {
    if (isSlipwayError(e) && /fingerprint|certificate/.test(e.message)) throw e;
    if (isSlipwayError(e) && (e.code === 'refused' || /token/.test(e.message))) throw new SlipwayError('refused', `${url} refused the token: ${e.message}; nothing was stored`, 'check the token (the server’s DIR/token, or one from `slipway tokens create`)');
    throw new SlipwayError('unavailable', `${url} is not a Slipway server this CLI can use: ${e instanceof Error ? e.message : String(e)}; nothing was stored`, 'check the address and port (`slipway server --home DIR --listen ADDR:PORT` prints them)');
  }
  if (health.ok !== true || health.mode !== 'server') {
    throw new SlipwayError('unavailable', `${url} answers, but not as a Slipway server with many apps (mode ${health.mode ?? 'local'}); nothing was stored`, 'a local mode’s control plane is driven from its repository; start a server with `slipway server --home DIR`');
  }
  const file = saveLogin(ctx.env, { url, token, ...trust }, gitPem);
  const git = gitPem === undefined ? undefined : { key: `http.${url}/.sslCAInfo`, file: gitCaFile(ctx.env) };
  const pinned = trust.fingerprint !== undefined ? `certificate ${trust.fingerprint} pinned` : trust.ca !== undefined ? 'its CA pinned' : undefined;
  if (values.json) {
    ctx.out(`${JSON.stringify({ url, file, version: health.version ?? null, apps: health.apps ?? null, fingerprint: trust.fingerprint ?? null, ca: trust.ca !== undefined, git: git ?? null })}\n`);
    return 0;
  }
  ctx.out(`logged in to ${url} (Slipway ${health.version ?? '?'}, ${health.apps ?? 0} app(s)); the token is kept in ${file}${pinned ? `, ${pinned}` : ''}\n`);
  if (git) ctx.out(`for git pushes to it, trust the same certificate:\n  git config --global ${git.key} ${git.file}\n`);
  if (note) ctx.out(`note: ${note}\n`);
  return 0;
};
