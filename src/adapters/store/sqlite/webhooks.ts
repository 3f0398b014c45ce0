// The SQLite adapter of the webhook store (migration 13): the app's remote and the deliveries received.
import type Database from 'better-sqlite3';
import type { DeliveryRecord, WebhookStore } from '../../../ports/webhooks.js';
import { attempt, type Row } from './rows.js';
import { openDurableConnection } from './store.js';

const rowToDelivery = (r: Row): DeliveryRecord => ({
  delivery: String(r.delivery),
  kind: r.kind === 'github' ? 'github' : 'signed',
  event: String(r.event),
  outcome: r.outcome === 'queued' || r.outcome === 'ignored' ? r.outcome : 'received',
  ...(typeof r.detail === 'string' ? { detail: r.detail } : {}),
  receivedAt: String(r.received_at),
});

/** Opens the webhook tables of the store at `file` (migrated on open). */
export const openWebhookStore = (file: string): WebhookStore & { close(): void } => {
  const db = openDurableConnection(file);
  return { ...sqliteWebhookStore(db), close: () => db.close() };
};

export const sqliteWebhookStore = (db: Database.Database): WebhookStore => ({
  remote: () =>
    attempt(() => {
      const r = db.prepare('SELECT * FROM webhook_remote WHERE id = 1').get() as Row | undefined;
      return r && { url: String(r.url), setAt: String(r.set_at), setBy: String(r.set_by) };
    }),
  setRemote: (remote) =>
    attempt(() => {
      db.prepare('INSERT INTO webhook_remote (id, url, set_at, set_by) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET url = excluded.url, set_at = excluded.set_at, set_by = excluded.set_by').run(remote.url, remote.setAt, remote.setBy);
    }),
  claim: (d) => attempt(() => db.prepare("INSERT OR IGNORE INTO webhook_deliveries (delivery, kind, event, outcome, received_at) VALUES (?, ?, ?, 'received', ?)").run(d.delivery, d.kind, d.event, d.receivedAt).changes === 1),
  settle: (delivery, outcome, detail) =>
    attempt(() => {
      db.prepare('UPDATE webhook_deliveries SET outcome = ?, detail = ? WHERE delivery = ?').run(outcome, detail, delivery);
    }),
  forget: (delivery) =>
    attempt(() => {
      db.prepare("DELETE FROM webhook_deliveries WHERE delivery = ? AND outcome = 'received'").run(delivery);
    }),
  list: (limit) => attempt(() => (db.prepare('SELECT * FROM webhook_deliveries ORDER BY received_at DESC, rowid DESC LIMIT ?').all(limit) as Row[]).map(rowToDelivery)),
});
