// The proxy's ACME outcomes in the home's audit trail: the hash-chained event log of the control
// plane (`slipway events`), appended from this process in its own transaction (SQLite serialises
// the writers and the chain stays whole). Opened per event and closed after it, so the proxy holds
// no database open; loaded only when there is something to record. A home without a database yet
// (no control plane ever ran) gets nothing recorded, and the proxy's log says so.

import fs from 'node:fs';
import { homePaths } from '../../home/paths.js';

/** An ACME event: `certificate.issued`, `certificate.renewed` or `certificate.failed`, about one name. */
export interface AcmeEvent {
  kind: 'certificate.issued' | 'certificate.renewed' | 'certificate.failed';
  /** The domain name. */
  subject: string;
  /** Names, serial, expiry, the error and the next attempt: never a key. */
  data: Record<string, unknown>;
}

export type AcmeRecorder = (e: AcmeEvent) => Promise<void>;

/** The recorder of `home`: events are written in order, one at a time; a write that fails is logged. */
export function auditTrail(home: string, log: (line: string) => void): AcmeRecorder {
  const db = homePaths(home).db;
  let chain: Promise<void> = Promise.resolve();
  let warned = false;
  return (e) => {
    chain = chain.then(async () => {
      if (!fs.existsSync(db)) {
        if (!warned) log(`ACME events are not recorded: ${db} does not exist (no control plane has run for this home)`);
        warned = true;
        return;
      }
      try {
        const { openSqliteStore } = await import('../../adapters/store/sqlite/store.js');
        const store = openSqliteStore(db);
        try {
          await store.appendEvent({ kind: e.kind, actor: 'slipway-proxy', subject: e.subject, data: e.data }, new Date().toISOString());
        } finally {
          await store.close();
        }
      } catch (err) {
        log(`could not record ${e.kind} for ${e.subject} in the audit trail: ${(err as Error).message}`);
      }
    });
    return chain;
  };
}
