// An in-memory SecretsStore for tests and dry runs; it follows the port's contract exactly
// (append-only versions, conflicts on a taken version, all-or-nothing replaceAll).

import { metaOf, type SecretMeta, type SecretRecord } from '../core/secrets/records.js';
import type { SecretsStore, StoreWrite } from '../ports/secrets.js';

const keyOf = (r: { env: string; name: string; version: number }): string => JSON.stringify([r.env, r.name, r.version]);

export interface MemorySecretsStore extends SecretsStore {
  /** Test hook: overwrites a stored record in place, as a disk fault or an attacker would. */
  tamper(record: SecretRecord): void;
}

/** A fresh, empty in-memory store. Records are copied in and out, so callers cannot alias them. */
export function createMemorySecretsStore(initial: SecretRecord[] = []): MemorySecretsStore {
  let records = new Map<string, SecretRecord>(initial.map((r) => [keyOf(r), { ...r }]));

  const versionsOf = (env: string, name: string): SecretRecord[] =>
    [...records.values()].filter((r) => r.env === env && r.name === name).sort((a, b) => a.version - b.version);

  return {
    put(record: SecretRecord): Promise<StoreWrite> {
      const k = keyOf(record);
      if (records.has(k)) {
        return Promise.resolve({ ok: false, reason: 'conflict', message: `version ${record.version} of ${record.name} in ${record.env} already exists` });
      }
      records.set(k, { ...record });
      return Promise.resolve({ ok: true });
    },
    latest(env, name) {
      const last = versionsOf(env, name).at(-1);
      return Promise.resolve(last && { ...last });
    },
    get(env, name, version) {
      const r = records.get(keyOf({ env, name, version }));
      return Promise.resolve(r && { ...r });
    },
    list(env) {
      const names = new Set([...records.values()].filter((r) => r.env === env).map((r) => r.name));
      const out: SecretMeta[] = [];
      for (const name of [...names].sort()) {
        const last = versionsOf(env, name).at(-1);
        if (last?.kind === 'value') out.push(metaOf(last));
      }
      return Promise.resolve(out);
    },
    all() {
      return Promise.resolve([...records.values()].map((r) => ({ ...r })));
    },
    keyIds() {
      const ids = new Set<string>();
      for (const r of records.values()) if (r.kind === 'value') ids.add(r.keyId);
      return Promise.resolve([...ids].sort());
    },
    replaceAll(next: SecretRecord[]): Promise<StoreWrite> {
      const incoming = new Map(next.map((r) => [keyOf(r), { ...r }]));
      const same = incoming.size === next.length && incoming.size === records.size && [...incoming.keys()].every((k) => records.has(k));
      if (!same) {
        return Promise.resolve({ ok: false, reason: 'conflict', message: 'the stored secrets changed since they were read; nothing was replaced' });
      }
      records = incoming;
      return Promise.resolve({ ok: true });
    },
    tamper(record: SecretRecord): void {
      records.set(keyOf(record), { ...record });
    },
  };
}
