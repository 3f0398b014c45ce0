// Given a control plane with named tokens of each role, when every API route is called with each
// token, then a route its role does not allow answers 403 before anything runs and every other
// answers as usual; the actor of what a token does is its name; git over HTTP fetches with read
// and pushes only with deploy; a revoked token is refused; no token value is kept in the home.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { roleAllows, ROLES, type Role } from '../../src/core/auth/tokens.js';
import type { Engine } from '../../src/engine/engine.js';
import { buildRoutes, type ServerInfo } from '../../src/server/routes.js';
import type { TokenStore } from '../../src/ports/tokens.js';
import { TempRepo, minimalApp, type CliResult } from './harness.js';

/** Something that answers every property read and call with itself: enough to register the routes. */
const stub = (): unknown => {
  const f: unknown = new Proxy(() => f, { get: (_t, k) => (k === Symbol.toPrimitive ? () => '' : f), apply: () => f });
  return f;
};
/** Every route the control plane serves, with the least role of each (hooks check their own). */
const ROUTES = buildRoutes(stub() as Engine, stub() as ServerInfo, () => undefined, stub() as TokenStore)
  .list()
  .filter((r) => !r.hook);

/** Routes whose success would end the test's server or change its key: their allowed call is checked apart. */
const DISRUPTIVE = new Set(['POST /v1/shutdown', 'POST /v1/master-key/rotate']);

describe('tokens and roles', () => {
  let repo: TempRepo;
  let base = '';
  const tokens: Partial<Record<Role, string>> = {};
  const ok = async (args: string[]): Promise<CliResult> => {
    const r = await repo.cli(args);
    assert.equal(r.code, 0, `slipway ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const call = async (token: string, method: string, path: string, body: unknown = {}): Promise<{ status: number; json: { error?: { code?: string; message?: string } } & Record<string, unknown> }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
      ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    // A stream (a run's or a deployment's) is not read to its end: its status is the answer.
    if ((res.headers.get('content-type') ?? '').includes('event-stream') || (res.headers.get('content-type') ?? '').includes('ndjson')) {
      await res.body?.cancel();
      return { status: res.status, json: {} };
    }
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as { error?: { code?: string } }) : {} };
  };

  before(async () => {
    repo = new TempRepo('slipway-tokens-');
    repo.write(minimalApp());
    repo.commit('the app');
    for (const role of ROLES) {
      const r = await ok(['tokens', 'create', '--name', `${role}-bot`, '--role', role, '--expires', '30d']);
      tokens[role] = r.stdout.trim();
      assert.match(tokens[role] ?? '', /^slw_[A-Za-z0-9_-]{43}$/);
      assert.match(r.stderr, /shown this once/);
    }
    const info = JSON.parse(readFileSync(join(repo.dir, '.slipway', 'server.json'), 'utf8')) as { port: number };
    base = `http://127.0.0.1:${info.port}`;
  });
  after(async () => {
    await repo.dispose();
  });

  test('every route, with every role: 403 "forbidden" exactly where the role falls short, and never 401', async () => {
    assert.ok(ROUTES.length >= 40, `the routes were listed (${ROUTES.length})`);
    for (const route of ROUTES) {
      const path = route.pattern.replace(/:[a-z]+/g, 'x1');
      for (const role of ROLES) {
        const key = `${route.method} ${route.pattern}`;
        const allowed = roleAllows(role, route.role);
        if (allowed && DISRUPTIVE.has(key)) continue;
        const a = await call(tokens[role] ?? '', route.method, path);
        if (allowed) assert.ok(a.status !== 401 && a.status !== 403, `${role} ${key}: ${a.status} ${JSON.stringify(a.json)}`);
        else {
          assert.equal(a.status, 403, `${role} ${key}`);
          assert.equal(a.json.error?.code, 'forbidden');
          assert.match(a.json.error?.message ?? '', new RegExp(`needs the ${route.role} role; the token "${role}-bot" has ${role}`));
        }
      }
    }
    // The key rotation is admin's, and a malformed body is refused before it does anything.
    assert.equal((await call(tokens.admin ?? '', 'POST', '/v1/master-key/rotate', { key_out: 5 })).status, 400);
  });

  test('what a token does is recorded under its name, and so is each token created', async () => {
    const started = await call(tokens.deploy ?? '', 'POST', '/v1/runs', {});
    assert.equal(started.status, 201, JSON.stringify(started.json));
    const run = started.json.run as { id: string; actor: string };
    assert.equal(run.actor, 'deploy-bot');
    const events = JSON.parse((await ok(['events', '--json', '--subject', run.id])).stdout) as { kind: string; actor: string }[];
    assert.ok(events.length > 0);
    for (const e of events.filter((x) => x.actor !== 'slipway')) assert.equal(e.actor, 'deploy-bot', e.kind);
    const created = JSON.parse((await ok(['events', '--json'])).stdout) as { kind: string; subject: string; data: { role?: string } }[];
    assert.deepEqual(created.filter((e) => e.kind === 'token.created').map((e) => [e.subject, e.data.role]), [['read-bot', 'read'], ['deploy-bot', 'deploy'], ['admin-bot', 'admin']]);
  });

  test('git over HTTP: a read token fetches, and only a deploy token may push', async () => {
    const remote = JSON.parse((await ok(['remote', 'init', '--json'])).stdout) as { url: string };
    const git = (args: string[], token: string): ReturnType<typeof spawnSync> =>
      spawnSync('git', ['-c', 'credential.helper=', '-c', `http.extraHeader=Authorization: Bearer ${token}`, ...args], { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    const fetched = git(['ls-remote', remote.url], tokens.read ?? '');
    assert.equal(fetched.status, 0, String(fetched.stderr));
    const refused = git(['push', remote.url, 'HEAD:refs/for/main'], tokens.read ?? '');
    assert.notEqual(refused.status, 0);
    assert.match(String(refused.stderr), /403|needs the deploy role/);
  });

  test('bad input to `tokens`: a clear error, and nothing is created', async () => {
    const cases: [string[], number, RegExp][] = [
      [['tokens', 'create', '--name', 'read-bot', '--role', 'read'], 3, /exists or existed/],
      [['tokens', 'create', '--name', 'x', '--role', 'owner'], 2, /"role" must be one of read, deploy, admin/],
      [['tokens', 'create', '--name', 'Bad Name', '--role', 'read'], 2, /"name" must be/],
      [['tokens', 'create', '--name', 'y', '--role', 'read', '--expires', 'forever'], 2, /"expires" must be/],
      [['tokens', 'create', '--name', 'z'], 2, /needs --name and --role/],
      [['tokens', 'revoke', 'nobody'], 2, /no token named "nobody"/],
      [['tokens', 'rotate'], 2, /unknown subcommand "tokens rotate"/],
    ];
    for (const [args, code, message] of cases) {
      const r = await repo.cli(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    const names = (JSON.parse((await ok(['tokens', 'ls', '--json'])).stdout) as { name: string }[]).map((t) => t.name);
    assert.deepEqual(names.sort(), ['admin-bot', 'deploy-bot', 'read-bot']);
  });

  test('a revoked token is refused at once; no token value is kept anywhere in the home', async () => {
    await ok(['tokens', 'revoke', 'read-bot']);
    const a = await call(tokens.read ?? '', 'GET', '/v1/status');
    assert.equal(a.status, 401);
    assert.match(a.json.error?.message ?? '', /the token "read-bot" was revoked/);
    const listed = (await ok(['tokens', 'ls'])).stdout;
    assert.match(listed, /read-bot\s+read\s+(\*\s+)?revoked/); // NAME ROLE [APP, shown once a token is scoped to an app] STATE
    // Only hashes are stored: the values, in any encoding, appear in no file of the home.
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(join(repo.dir, '.slipway'));
    for (const value of Object.values(tokens)) {
      const forms = [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')];
      for (const f of files) {
        const bytes = readFileSync(f).toString('latin1');
        for (const form of forms) assert.equal(bytes.includes(form), false, `${f} holds a token`);
      }
    }
  });
});
