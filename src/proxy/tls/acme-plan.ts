// When a name's ACME certificate is due: the pure timing of issuance, renewal and retries, apart
// from the client that acts on it (acme.ts).
//
// A name without a certificate is due at once; one with a certificate at two thirds of its
// lifetime (a 90-day certificate is renewed 30 days before it expires). A failed attempt waits
// `retryMs`, doubled after each further failure, at most an hour, and never more than half the
// time left on the certificate still serving, so that retries quicken as expiry nears.

export const MAX_BACKOFF_MS = 3_600_000;

/** What the proxy knows of one name's certificate and its attempts (times in ms since the epoch). */
export interface NameTiming {
  notBefore?: number;
  notAfter?: number;
  /** Failed attempts since the last success. */
  failures: number;
  /** No attempt before this time (set after a failure). */
  retryAt?: number;
}

/** When the certificate should be renewed: two thirds into its lifetime; 0 (now) without one. */
export function renewAt(t: Pick<NameTiming, 'notBefore' | 'notAfter'>): number {
  if (t.notBefore === undefined || t.notAfter === undefined) return 0;
  return t.notBefore + Math.floor(((t.notAfter - t.notBefore) * 2) / 3);
}

/** The time of the next attempt for this name. */
export function nextAttemptAt(t: NameTiming): number {
  return Math.max(renewAt(t), t.retryAt ?? 0);
}

/**
 * When to try again after the `failures`-th failure in a row at `now`.
 * Example: retryMs 60 s → 1 min, 2 min, 4 min … 1 h; with 10 min left on the certificate, 5 min at most.
 */
export function retryAfterFailure(t: Pick<NameTiming, 'notAfter'>, failures: number, now: number, retryMs: number): number {
  let wait = Math.min(retryMs * 2 ** Math.max(0, failures - 1), MAX_BACKOFF_MS);
  if (t.notAfter !== undefined && t.notAfter > now) wait = Math.min(wait, Math.max(retryMs, Math.floor((t.notAfter - now) / 2)));
  return now + wait;
}

/** The name to work on now: the one whose attempt is most overdue; undefined when none is due. */
export function nextDue<T extends NameTiming & { name: string }>(names: Iterable<T>, now: number): T | undefined {
  let best: T | undefined;
  for (const t of names) {
    const at = nextAttemptAt(t);
    if (at > now) continue;
    if (best === undefined || at < nextAttemptAt(best)) best = t;
  }
  return best;
}
