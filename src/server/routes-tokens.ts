// The API of named tokens (admin only): create (the value is in this one answer, never again),
// list, revoke. Each change is in the audit trail, with who made it.
import { randomBytes } from 'node:crypto';
import { hashApiToken, isRole, ROLES, TOKEN_NAME_PATTERN } from '../core/auth/tokens.js';
import { parseSpan } from '../core/duration.js';
import { SlipwayError } from '../core/errors.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { TokenStore } from '../ports/tokens.js';
import * as z from 'zod';
import { appNameProblem } from '../core/app-name.js';
import { STREAMED, optionalString, sendJson, type Router } from './http.js';

export interface TokenRouteDeps {
  store: Pick<Store, 'appendEvent'>;
  clock: Clock;
  /** Who is acting (the request's token name). */
  readonly actor: string;
  /** Server mode: whether an app exists, for tokens scoped to one app; absent in local mode (one app, no scope). */
  appExists?: (name: string) => boolean;
}

export const addTokenRoutes = (r: Router, deps: TokenRouteDeps, tokens: TokenStore): void => {
  const { store, clock } = deps;

  r.on(
    'POST',
    '/v1/tokens',
    async (req, res) => {
      const body = await req.body();
      const name = optionalString(body, 'name');
      if (name === undefined || !TOKEN_NAME_PATTERN.test(name)) throw new SlipwayError('usage', `"name" must be 1–63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit${name === undefined ? '' : `, not "${name.slice(0, 80)}"`}`);
      const role = optionalString(body, 'role');
      if (!isRole(role)) throw new SlipwayError('usage', `"role" must be one of ${ROLES.join(', ')}${role === undefined ? '' : `, not "${role.slice(0, 80)}"`}`);
      const expires = optionalString(body, 'expires');
      const lifetime = expires === undefined ? undefined : parseSpan(expires);
      if (expires !== undefined && lifetime === undefined) throw new SlipwayError('usage', `"expires" must be a number of hours, days or weeks such as 12h, 90d or 2w, not "${expires.slice(0, 80)}"`);
      const app = optionalString(body, 'app');
      if (app !== undefined) {
        if (!deps.appExists) throw new SlipwayError('usage', 'a token scoped to an app (--app) is for a Slipway server with many apps; here every token is this app’s');
        const problem = appNameProblem(app);
        if (problem) throw new SlipwayError('usage', problem);
        if (!deps.appExists(app)) throw new SlipwayError('not_found', `no app "${app}" on this server`, 'see them with `slipway apps ls`');
      }
      const now = clock.now();
      const value = `slw_${randomBytes(32).toString('base64url')}`;
      const record = {
        name,
        role,
        createdAt: now.toISOString(),
        createdBy: deps.actor,
        ...(app === undefined ? {} : { app }),
        ...(lifetime === undefined ? {} : { expiresAt: new Date(now.getTime() + lifetime).toISOString() }),
      };
      if (!(await tokens.create(record, hashApiToken(value)))) {
        throw new SlipwayError('conflict', `a token named "${name}" exists or existed (names are never reused, so the audit trail stays unambiguous)`, 'choose another name; `slipway tokens ls` lists them');
      }
      await store.appendEvent({ kind: 'token.created', actor: deps.actor, subject: name, data: { role, ...(app === undefined ? {} : { app }), ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) } }, now.toISOString());
      // The one answer that carries a token: written here, past the masking of every other answer
      // (which hides any `slw_` token, secrets/mask.ts).
      sendJson(res, 201, { token: { ...record, value } });
      return STREAMED;
    },
    {
      summary: 'Create a named token; its value is in this answer only',
      role: 'admin',
      status: 201,
      body: z.strictObject({
        name: z.string().regex(TOKEN_NAME_PATTERN, { error: 'must be 1–63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit' }).describe('What the audit trail records as the actor'),
        role: z.enum(ROLES).describe('read: see; deploy: run, deploy, promote, roll back; admin: tokens, secrets, config, settings'),
        expires: z.string().optional().describe('A lifetime such as 12h, 90d or 2w (none by default)'),
        app: z.string().optional().describe('Server mode: the one app the token may touch (every app by default); refused in local mode'),
      }),
    },
  );

  r.on('GET', '/v1/tokens', async () => ({ tokens: await tokens.list() }), { summary: 'The named tokens (never their values)', role: 'admin' });

  r.on(
    'DELETE',
    '/v1/tokens/:name',
    async (req) => {
      const name = req.params.name ?? '';
      const at = clock.now().toISOString();
      if (!(await tokens.revoke(name, at))) {
        const known = (await tokens.list()).find((t) => t.name === name);
        if (known) throw new SlipwayError('conflict', `the token "${name}" was already revoked at ${known.revokedAt ?? '?'}`);
        throw new SlipwayError('not_found', `no token named "${name.slice(0, 80)}"`, 'see them with `slipway tokens ls`');
      }
      await store.appendEvent({ kind: 'token.revoked', actor: deps.actor, subject: name, data: {} }, at);
      return { revoked: name, at };
    },
    { summary: 'Revoke a named token', role: 'admin' },
  );
};
