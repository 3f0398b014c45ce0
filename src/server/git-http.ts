// git's smart HTTP protocol for the canonical repository, mounted at /git/<app>.git on the control
// plane: the ref advertisement (GET info/refs?service=…) and the two POST endpoints, served by
// `git upload-pack` / `git receive-pack --stateless-rpc` with the bodies streamed through.
// Authentication: the home's token or a named API token as the password of HTTP Basic (git's
// credential flow) or as a bearer token; a fetch needs the read role, a push the deploy role. A
// push runs the repository's receive hooks, so main stays guarded here too.
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { API_TOKEN_PATTERN, roleAllows, type Role } from '../core/auth/tokens.js';
import type { Authenticate } from './auth.js';

export interface GitHttpOptions {
  authenticate: Authenticate;
  /**
   * The canonical repository of the app a request names (created on first use) and the app name it
   * is served under; undefined when a server with many apps has no such app.
   */
  repository: (app: string) => Promise<{ path: string; app: string | undefined } | undefined>;
  /** Starts git's side of the protocol on the repository (adapters/vcs/git/http-backend.ts, given by the composition root). */
  gitService: (command: 'upload-pack' | 'receive-pack', repo: string, env: Record<string, string>, opts: { advertise: boolean }) => ChildProcess;
}

export const GIT_HTTP_PREFIX = '/git/';
const SERVICES = ['git-upload-pack', 'git-receive-pack'] as const;
type Service = (typeof SERVICES)[number];

/** A pkt-line: four hex digits of the length (themselves included), then the payload. */
export const pktLine = (payload: string): string => `${(Buffer.byteLength(payload) + 4).toString(16).padStart(4, '0')}${payload}`;

/**
 * The credential of a request: the password of HTTP Basic with its user name (or "token"), or a
 * bearer token; undefined when there is none or it is malformed.
 */
export const credentialsOf = (header: string | undefined): { user: string; secret: string } | undefined => {
  if (!header) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
  if (bearer !== undefined) return { user: 'token', secret: bearer.trim() };
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
  if (basic === undefined) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const user = decoded.slice(0, colon);
  return { user: /^[\w.@-]{1,64}$/.test(user) ? user : 'token', secret: decoded.slice(colon + 1) };
};

/** The least role of a git service: fetching reads, pushing deploys (it queues the pushed commits). */
const roleOf = (service: Service): Role => (service === 'git-receive-pack' ? 'deploy' : 'read');

/** The route of a smart-HTTP request, or why it is not one. */
export const parseGitPath = (method: string, pathname: string, service: string | null): { ok: true; app: string; kind: 'refs' | 'rpc'; service: Service } | { ok: false; status: number; message: string } => {
  const m = /^\/git\/([^/]+)\.git\/(.+)$/.exec(pathname);
  if (!m) return { ok: false, status: 404, message: 'not a repository path: use /git/<app>.git' };
  const [, app = '', rest = ''] = m;
  if (rest === 'info/refs') {
    if (method !== 'GET') return { ok: false, status: 405, message: 'info/refs takes GET' };
    if (service === null) return { ok: false, status: 403, message: "only git's smart HTTP protocol is served (a git client newer than 1.6.6 uses it)" };
    if (!(SERVICES as readonly string[]).includes(service)) return { ok: false, status: 403, message: `unknown service "${service}"` };
    return { ok: true, app, kind: 'refs', service: service as Service };
  }
  if ((SERVICES as readonly string[]).includes(rest)) {
    if (method !== 'POST') return { ok: false, status: 405, message: `${rest} takes POST` };
    return { ok: true, app, kind: 'rpc', service: rest as Service };
  }
  return { ok: false, status: 403, message: "only git's smart HTTP protocol is served" };
};

const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  res.end(`${body}\n`);
};

const NO_CACHE = { 'cache-control': 'no-cache, max-age=0, must-revalidate', expires: 'Fri, 01 Jan 1980 00:00:00 GMT', pragma: 'no-cache' };

/**
 * Serves a request under /git/; returns false (and touches nothing) for any other path, so the
 * JSON API handles it. Nothing is read or changed before the token is checked.
 */
export const handleGitHttp = (req: IncomingMessage, res: ServerResponse, opts: GitHttpOptions): boolean => {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return false; // the API answers it (400)
  }
  if (!url.pathname.startsWith(GIT_HTTP_PREFIX)) return false;
  serve(req, res, url, opts).catch((e: unknown) => {
    if (res.headersSent) res.destroy();
    else text(res, 500, `slipway: ${e instanceof Error ? e.message : String(e)}`);
  });
  return true;
};

const serve = async (req: IncomingMessage, res: ServerResponse, url: URL, opts: GitHttpOptions): Promise<void> => {
  const creds = credentialsOf(req.headers.authorization);
  const who = await opts.authenticate(creds?.secret);
  if (!who.ok) {
    // Nothing of the request is read: its body is left unread and the connection closed.
    const body = JSON.stringify({ error: { code: 'unauthorized', message: `authentication required: ${who.message}` } });
    res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'www-authenticate': 'Basic realm="slipway"', 'cache-control': 'no-store', connection: 'close' });
    res.end(body);
    return;
  }
  const route = parseGitPath(req.method ?? 'GET', url.pathname, url.searchParams.get('service'));
  if (!route.ok) {
    req.resume();
    return text(res, route.status, `slipway: ${route.message}`);
  }
  const need = roleOf(route.service);
  if (!roleAllows(who.principal.role, need)) {
    res.setHeader('connection', 'close');
    return text(res, 403, `slipway: ${route.service === 'git-receive-pack' ? 'a push' : 'a fetch'} needs the ${need} role; the token "${who.principal.name}" has ${who.principal.role}`);
  }
  // The home's own token pushes as the user name git sent; a named token as its name.
  const actor = creds !== undefined && !API_TOKEN_PATTERN.test(creds.secret) ? creds.user : who.principal.name;
  if (who.principal.app !== undefined && who.principal.app !== route.app) {
    req.resume();
    res.setHeader('connection', 'close');
    return text(res, 403, `slipway: the token "${who.principal.name}" is scoped to the app "${who.principal.app}", not "${route.app}"`);
  }
  const repo = await opts.repository(route.app);
  if (repo === undefined) {
    req.resume();
    return text(res, 404, `slipway: no app "${route.app}" on this server: create it with \`slipway apps create ${route.app}\` (see them with \`slipway apps ls\`)`);
  }
  if (repo.app !== undefined && route.app !== repo.app) {
    req.resume();
    return text(res, 404, `slipway: no repository "${route.app}.git" here; this app's is /git/${repo.app}.git`);
  }
  // Protocol v2 is asked for by header; only fetches speak it.
  const protocol = req.headers['git-protocol'];
  const v2 = route.service === 'git-upload-pack' && typeof protocol === 'string' && /^[\w=:.,-]*$/.test(protocol) ? protocol : undefined;
  const env: Record<string, string> = { SLIPWAY_PUSH_ACTOR: actor, ...(v2 ? { GIT_PROTOCOL: v2 } : {}) };
  const command = route.service === 'git-upload-pack' ? 'upload-pack' : 'receive-pack';
  if (route.kind === 'refs') {
    req.resume();
    const child = opts.gitService(command, repo.path, env, { advertise: true });
    res.writeHead(200, { 'content-type': `application/x-${route.service}-advertisement`, ...NO_CACHE });
    if (!v2?.includes('version=2')) res.write(`${pktLine(`# service=${route.service}\n`)}0000`);
    return pipeChild(child, res);
  }
  const type = req.headers['content-type'];
  if (type !== `application/x-${route.service}-request`) {
    req.resume();
    return text(res, 415, `slipway: expected content-type application/x-${route.service}-request`);
  }
  const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
  let body: Readable = req;
  if (encoding === 'gzip' || encoding === 'x-gzip') body = req.pipe(createGunzip());
  else if (encoding !== '' && encoding !== 'identity') {
    req.resume();
    return text(res, 415, `slipway: unsupported content-encoding "${encoding}"`);
  }
  const child = opts.gitService(command, repo.path, env, { advertise: false });
  const stdin = child.stdin;
  if (!stdin) throw new Error('git was started without a standard input');
  body.on('error', () => child.kill());
  stdin.on('error', () => undefined);
  body.pipe(stdin);
  res.writeHead(200, { 'content-type': `application/x-${route.service}-result`, ...NO_CACHE });
  return pipeChild(child, res);
};

/** Streams the child's stdout as the response body; a failing child ends the response early. */
const pipeChild = (child: ChildProcess, res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 4096) stderr += c.toString();
    });
    child.stdout?.pipe(res, { end: false });
    res.on('close', () => {
      if (child.exitCode === null) child.kill();
    });
    child.on('close', (code) => {
      if (code === 0) res.end();
      else res.destroy(new Error(`git exited with ${code}: ${stderr.trim()}`));
      resolve();
    });
    child.on('error', () => {
      res.destroy();
      resolve();
    });
  });
