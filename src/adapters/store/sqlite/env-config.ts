// The SQLite adapter of the EnvConfigStore port: tables `config_versions` and `settings_versions`
// (migration 4), one immutable row per version, and the opener of the secrets and config tables.
import type Database from 'better-sqlite3';
import type { ConfigVersion } from '../../../core/secrets/config-versions.js';
import type { SettingKey, SettingsVersion, SettingValues } from '../../../core/settings/settings.js';
import type { EnvConfigStore } from '../../../ports/env-config.js';
import type { SecretsStore, StoreWrite } from '../../../ports/secrets.js';
import type { Row } from './rows.js';
import { sqliteSecretsStore } from './secrets.js';
import { openDurableConnection } from './store.js';

interface Versioned<V> {
  version: number;
  values: V;
  changedKeys: string[];
  at: string;
  actor: string;
}

/** One versioned table: `vals` and `changed_keys` are JSON. */
const versionedTable = <V>(db: Database.Database, table: 'config_versions' | 'settings_versions', durably: <T>(fn: () => T) => T) => {
  const toVersion = (r: Row): Versioned<V> => ({
    version: Number(r.version),
    values: JSON.parse(String(r.vals)) as V,
    changedKeys: JSON.parse(String(r.changed_keys)) as string[],
    at: String(r.at),
    actor: String(r.actor),
  });
  return {
    latest(env: string): Versioned<V> | undefined {
      const row = db.prepare(`SELECT * FROM ${table} WHERE env = ? ORDER BY version DESC LIMIT 1`).get(env) as Row | undefined;
      return row && toVersion(row);
    },
    get(env: string, version: number): Versioned<V> | undefined {
      const row = db.prepare(`SELECT * FROM ${table} WHERE env = ? AND version = ?`).get(env, version) as Row | undefined;
      return row && toVersion(row);
    },
    put(env: string, v: Versioned<V>): StoreWrite {
      try {
        durably(() =>
          db.prepare(`INSERT INTO ${table} (env, version, vals, changed_keys, at, actor) VALUES (?, ?, ?, ?, ?, ?)`).run(env, v.version, JSON.stringify(v.values), JSON.stringify(v.changedKeys), v.at, v.actor),
        );
        return { ok: true };
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return { ok: false, reason: 'conflict', message: `version ${v.version} of ${env} already exists` };
        throw e;
      }
    },
    history(env: string, limit: number): Versioned<V>[] {
      return (db.prepare(`SELECT * FROM ${table} WHERE env = ? ORDER BY version DESC LIMIT ?`).all(env, limit) as Row[]).map(toVersion);
    },
  };
};

/** EnvConfigStore over an open database that has migration 4. */
export const sqliteEnvConfigStore = (db: Database.Database, durably: <T>(fn: () => T) => T = (fn) => fn()): EnvConfigStore => {
  const config = versionedTable<Record<string, string>>(db, 'config_versions', durably);
  const settings = versionedTable<SettingValues>(db, 'settings_versions', durably);
  const asSettings = (v: Versioned<SettingValues> | undefined): SettingsVersion | undefined => v && { ...v, changedKeys: v.changedKeys as SettingKey[] };
  return {
    latestConfig: (env) => Promise.resolve(config.latest(env)),
    getConfig: (env, version) => Promise.resolve(config.get(env, version)),
    putConfig: (env, v) => Promise.resolve(config.put(env, { ...v, values: { ...v.values } })),
    configHistory: (env, limit) => Promise.resolve(config.history(env, limit) as ConfigVersion[]),
    latestSettings: (env) => Promise.resolve(asSettings(settings.latest(env))),
    getSettings: (env, version) => Promise.resolve(asSettings(settings.get(env, version))),
    putSettings: (env, v) => Promise.resolve(settings.put(env, v)),
    settingsHistory: (env, limit) => Promise.resolve(settings.history(env, limit).map((v) => asSettings(v) as SettingsVersion)),
  };
};

export interface ConfigTables {
  secrets: SecretsStore;
  envConfig: EnvConfigStore;
  close(): void;
}

/**
 * Opens the secrets and config tables of the store at `file` on a connection of their own
 * (migrating it first if needed): the secrets adapter then shares nothing in memory with the
 * rest of the store. Their writes are fsynced: a secret set is never lost to a power cut.
 */
export const openConfigTables = (file: string): ConfigTables => {
  const db = openDurableConnection(file);
  return { secrets: sqliteSecretsStore(db), envConfig: sqliteEnvConfigStore(db), close: () => db.close() };
};
