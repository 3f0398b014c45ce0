// The webhook store port: an app's incoming-webhook settings (the remote it fetches pushed commits
// from) and the delivery ids it has accepted, so that a replayed delivery is refused even after a
// restart. The webhook secret is not here: it is sealed in the secrets store (WEBHOOK_ENV).

/** Where an app's pushed commits are fetched from, and who said so. */
export interface WebhookRemote {
  url: string;
  setAt: string;
  setBy: string;
}

/** What became of a delivery. */
export type DeliveryOutcome = 'received' | 'queued' | 'ignored';

export interface DeliveryRecord {
  delivery: string;
  kind: 'github' | 'signed';
  event: string;
  outcome: DeliveryOutcome;
  /** The queue item or the reason it was ignored. */
  detail?: string;
  receivedAt: string;
}

export interface WebhookStore {
  remote(): Promise<WebhookRemote | undefined>;
  setRemote(remote: WebhookRemote): Promise<void>;
  /**
   * Records a delivery id as received; false (and nothing written) when it was recorded before.
   * Atomic: of two concurrent claims of one id, exactly one wins.
   */
  claim(d: { delivery: string; kind: DeliveryRecord['kind']; event: string; receivedAt: string }): Promise<boolean>;
  /** Records what became of a claimed delivery. */
  settle(delivery: string, outcome: Exclude<DeliveryOutcome, 'received'>, detail: string): Promise<void>;
  /**
   * Forgets a claimed delivery whose processing failed before it changed anything (the remote could
   * not be reached), so that the forge's "redeliver" can try it again.
   */
  forget(delivery: string): Promise<void>;
  /** The newest deliveries first. */
  list(limit: number): Promise<DeliveryRecord[]>;
}
