// The SQLite adapter of the API token store (migrations 10 and 11): names, roles and hashes, never values.
import type Database from 'better-sqlite3';
import { isRole } from '../../../core/auth/tokens.js';
import type { ApiTokenRecord, TokenStore } from '../../../ports/tokens.js';
import { attempt, type Row } from './rows.js';
import { openDurableConnection } from './store.js';

const opt = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const rowToToken = (r: Row): ApiTokenRecord => {
  const role = r.role;
  if (!isRole(role)) throw new Error(`api_tokens: token ${String(r.name)} has an unknown role ${String(role)}`);
  const out: ApiTokenRecord = { name: String(r.name), role, createdAt: String(r.created_at), createdBy: String(r.created_by) };
  const expiresAt = opt(r.expires_at);
  const revokedAt = opt(r.revoked_at);
  const lastUsedAt = opt(r.last_used_at);
  if (expiresAt !== undefined) out.expiresAt = expiresAt;
  if (revokedAt !== undefined) out.revokedAt = revokedAt;
  if (lastUsedAt !== undefined) out.lastUsedAt = lastUsedAt;
  const app = opt(r.app);
  if (app !== undefined) out.app = app;
  return out;
};

/** Opens the token table of the store at `file` (migrated by the main store). */
export const openTokenStore = (file: string): TokenStore & { close(): void } => {
  const db = openDurableConnection(file);
  return { ...sqliteTokenStore(db), close: () => db.close() };
};

export const sqliteTokenStore = (db: Database.Database): TokenStore => ({
  create: (t, hash) =>
    attempt(() => {
      const r = db
        .prepare('INSERT OR IGNORE INTO api_tokens (name, role, hash, created_at, created_by, expires_at, app) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(t.name, t.role, hash, t.createdAt, t.createdBy, t.expiresAt ?? null, t.app ?? null);
      return r.changes === 1;
    }),
  findByHash: (hash) =>
    attempt(() => {
      const row = db.prepare('SELECT * FROM api_tokens WHERE hash = ?').get(hash) as Row | undefined;
      return row && rowToToken(row);
    }),
  list: () => attempt(() => (db.prepare('SELECT * FROM api_tokens ORDER BY created_at, name').all() as Row[]).map(rowToToken)),
  revoke: (name, at) => attempt(() => db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(at, name).changes === 1),
  touch: (name, at) =>
    attempt(() => {
      // At most once a minute: a busy CI token should not turn every request into a write.
      db.prepare("UPDATE api_tokens SET last_used_at = ? WHERE name = ? AND (last_used_at IS NULL OR last_used_at < strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-1 minute'))").run(at, name, at);
    }),
});
