// The API tokens of a home (core/auth/tokens.ts): stored by the hash of their value, never the value.
import type { Role } from '../core/auth/tokens.js';

export interface ApiTokenRecord {
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
  /** The one app of a Slipway server this token may touch; absent: every app and the server. */
  app?: string;
}

export interface TokenStore {
  /** Records a new token; false (and nothing written) when the name was ever used. */
  create(record: ApiTokenRecord, hash: string): Promise<boolean>;
  /** The token with this hash, revoked or expired ones included (the caller decides). */
  findByHash(hash: string): Promise<ApiTokenRecord | undefined>;
  /** Every token, oldest first. */
  list(): Promise<ApiTokenRecord[]>;
  /** Revokes a token; false when there is no such token or it was revoked already. */
  revoke(name: string, at: string): Promise<boolean>;
  /** Remembers when a token was last used (at most once a minute is written). */
  touch(name: string, at: string): Promise<void>;
}
