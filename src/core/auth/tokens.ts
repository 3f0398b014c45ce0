// API tokens and roles: what each role may do, the form of a token, and how long one lives. Pure.
// A token is shown once at creation and stored only as its SHA-256 (adapters/store/sqlite/tokens.ts).
import { createHash } from 'node:crypto';

/** read: see; deploy: run, deploy, promote, roll back, queue; admin: tokens, secrets, config, settings, the server. */
export type Role = 'read' | 'deploy' | 'admin';
export const ROLES: readonly Role[] = ['read', 'deploy', 'admin'];

export const isRole = (s: unknown): s is Role => typeof s === 'string' && (ROLES as readonly string[]).includes(s);

/** Whether a token of role `have` may do what needs `need` (each role includes the ones before it). */
export const roleAllows = (have: Role, need: Role): boolean => ROLES.indexOf(have) >= ROLES.indexOf(need);

/** `slw_` and 43 base64url characters (32 random bytes): recognisable by the secret scan and the masker. */
export const API_TOKEN_PATTERN = /^slw_[A-Za-z0-9_-]{43}$/;
/** The same, inside any text (for scanners). */
export const API_TOKEN_IN_TEXT = /slw_[A-Za-z0-9_-]{43}/g;

/** The stored form of a token: its SHA-256, hex. */
export const hashApiToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A token's name: what the audit trail records as the actor of everything it does. */
export const TOKEN_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Who is calling the API: a named token and its role, or the home's own token (admin). */
export interface Principal {
  name: string;
  role: Role;
  /** The home's own token (the local CLI and the receive hooks), which may name another actor. */
  home?: boolean;
  /** The one app of a Slipway server it may touch (a token scoped with `tokens create --app`); absent: any. */
  app?: string;
}
