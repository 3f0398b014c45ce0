// Who is calling the control plane: the home's own token (its owner, admin) or a named API token
// with a role (`slipway tokens`). The principal of a request is kept in an async context so that
// everything the request starts (a deployment that goes on after the answer included) records the
// token's name as its actor.
import { AsyncLocalStorage } from 'node:async_hooks';
import { API_TOKEN_PATTERN, hashApiToken, type Principal } from '../core/auth/tokens.js';
import { tokenMatches } from '../home/token.js';
import type { TokenStore } from '../ports/tokens.js';

/** A presented credential's principal, or why it is refused (said to the client as 401). */
export type Authenticate = (presented: string | undefined) => Promise<{ ok: true; principal: Principal } | { ok: false; message: string }>;

const WRONG = 'missing or wrong token: the CLI reads the home’s token from the Slipway home; others use a token from `slipway tokens create`';

/**
 * `appTokens` (server mode): the token of each app's own home, which that app's receive hooks
 * present; it acts as the owner, admin of that one app.
 */
export const createAuthenticator = (opts: { homeToken: string; owner: string; tokens: TokenStore; now?: () => number; appTokens?: () => Iterable<[app: string, token: string]> }): Authenticate => {
  const now = opts.now ?? Date.now;
  return async (presented) => {
    if (presented === undefined || presented === '') return { ok: false, message: WRONG };
    if (tokenMatches(presented, opts.homeToken)) return { ok: true, principal: { name: opts.owner, role: 'admin', home: true } };
    for (const [app, token] of opts.appTokens?.() ?? []) if (tokenMatches(presented, token)) return { ok: true, principal: { name: opts.owner, role: 'admin', home: true, app } };
    if (!API_TOKEN_PATTERN.test(presented)) return { ok: false, message: WRONG };
    const t = await opts.tokens.findByHash(hashApiToken(presented));
    if (t === undefined) return { ok: false, message: WRONG };
    if (t.revokedAt !== undefined) return { ok: false, message: `the token "${t.name}" was revoked at ${t.revokedAt}` };
    const at = now();
    if (t.expiresAt !== undefined && Date.parse(t.expiresAt) <= at) return { ok: false, message: `the token "${t.name}" expired at ${t.expiresAt}` };
    await opts.tokens.touch(t.name, new Date(at).toISOString()).catch(() => undefined);
    return { ok: true, principal: { name: t.name, role: t.role, ...(t.app === undefined ? {} : { app: t.app }) } };
  };
};

const current = new AsyncLocalStorage<Principal>();

/** Runs `fn` (and everything it starts) as `principal`. */
export const runAs = <T>(principal: Principal, fn: () => T): T => current.run(principal, fn);

/** The principal of the request being served, if any. */
export const currentPrincipal = (): Principal | undefined => current.getStore();
