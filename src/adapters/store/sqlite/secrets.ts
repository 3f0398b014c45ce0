// The SQLite adapter of the SecretsStore port: table `secret_records` (migration 4), which holds
// only what sealing produced (salt, nonce, ciphertext, tag, key id) — never a clear value.
import type Database from 'better-sqlite3';
import type { SECRET_ALG} from '../../../core/secrets/records.js';
import { metaOf, type SecretRecord } from '../../../core/secrets/records.js';
import type { SecretsStore, StoreWrite } from '../../../ports/secrets.js';
import type { Row } from './rows.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const rowToRecord = (r: Row): SecretRecord => {
  const base = { env: String(r.env), name: String(r.name), version: Number(r.version), createdAt: String(r.created_at) };
  if (r.kind === 'tombstone') return { kind: 'tombstone', ...base };
  // A damaged row (wrong alg, missing field) is passed on as it is: opening it fails and names it.
  return { kind: 'value', ...base, alg: str(r.alg) as typeof SECRET_ALG, keyId: str(r.key_id), salt: str(r.salt), nonce: str(r.nonce), ciphertext: str(r.ciphertext), tag: str(r.tag) };
};

const conflict = (message: string): StoreWrite => ({ ok: false, reason: 'conflict', message });
const sameCoordinates = (a: { env: string; name: string; version: number }): string => JSON.stringify([a.env, a.name, a.version]);

/** SecretsStore over an open database that has migration 4. Writes are fsynced by `durably`. */
export const sqliteSecretsStore = (db: Database.Database, durably: <T>(fn: () => T) => T = (fn) => fn()): SecretsStore => {
  const insert = db.prepare(
    `INSERT INTO secret_records (env, name, version, kind, alg, key_id, salt, nonce, ciphertext, tag, created_at)
     VALUES (@env, @name, @version, @kind, @alg, @keyId, @salt, @nonce, @ciphertext, @tag, @createdAt)`,
  );
  const params = (r: SecretRecord): Record<string, unknown> =>
    r.kind === 'value'
      ? { env: r.env, name: r.name, version: r.version, kind: r.kind, alg: r.alg, keyId: r.keyId, salt: r.salt, nonce: r.nonce, ciphertext: r.ciphertext, tag: r.tag, createdAt: r.createdAt }
      : { env: r.env, name: r.name, version: r.version, kind: r.kind, alg: null, keyId: null, salt: null, nonce: null, ciphertext: null, tag: null, createdAt: r.createdAt };

  return {
    put(record) {
      try {
        durably(() => insert.run(params(record)));
        return Promise.resolve({ ok: true });
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          return Promise.resolve(conflict(`version ${record.version} of ${record.name} in ${record.env} already exists`));
        }
        throw e;
      }
    },
    latest(env, name) {
      const row = db.prepare('SELECT * FROM secret_records WHERE env = ? AND name = ? ORDER BY version DESC LIMIT 1').get(env, name) as Row | undefined;
      return Promise.resolve(row && rowToRecord(row));
    },
    get(env, name, version) {
      const row = db.prepare('SELECT * FROM secret_records WHERE env = ? AND name = ? AND version = ?').get(env, name, version) as Row | undefined;
      return Promise.resolve(row && rowToRecord(row));
    },
    list(env) {
      const rows = db
        .prepare(
          `SELECT s.* FROM secret_records s
           JOIN (SELECT name, MAX(version) AS v FROM secret_records WHERE env = ? GROUP BY name) m ON m.name = s.name AND m.v = s.version
           WHERE s.env = ? AND s.kind = 'value' ORDER BY s.name`,
        )
        .all(env, env) as Row[];
      return Promise.resolve(rows.map(rowToRecord).flatMap((r) => (r.kind === 'value' ? [metaOf(r)] : [])));
    },
    all() {
      return Promise.resolve((db.prepare('SELECT * FROM secret_records ORDER BY env, name, version').all() as Row[]).map(rowToRecord));
    },
    keyIds() {
      const rows = db.prepare("SELECT DISTINCT key_id FROM secret_records WHERE kind = 'value' ORDER BY key_id").all() as { key_id: string }[];
      return Promise.resolve(rows.map((r) => r.key_id));
    },
    replaceAll(records) {
      const tx = db.transaction((): StoreWrite => {
        const existing = new Set((db.prepare('SELECT env, name, version FROM secret_records').all() as { env: string; name: string; version: number }[]).map(sameCoordinates));
        const incoming = new Set(records.map(sameCoordinates));
        const same = incoming.size === records.length && incoming.size === existing.size && [...incoming].every((k) => existing.has(k));
        if (!same) return conflict('the stored secrets changed since they were read; nothing was replaced');
        db.prepare('DELETE FROM secret_records').run();
        for (const r of records) insert.run(params(r));
        return { ok: true };
      });
      return Promise.resolve(durably(() => tx.immediate()));
    },
  };
};
