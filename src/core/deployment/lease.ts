// The deploy lock of an environment is a lease: it expires by itself, so a killed command never
// leaves a stale lock. Pure decisions; the store applies them atomically.

export interface Lease {
  env: string;
  holder: string;
  /** What the holder is doing, shown to whoever waits. */
  purpose: string;
  acquiredAt: number;
  expiresAt: number;
}

export const LEASE_MS = 15_000;

export type LeaseDecision = { ok: true; lease: Lease } | { ok: false; heldBy: Lease };

/** Takes the lease when it is free, expired, or already ours (then it is renewed). */
export const decideLease = (existing: Lease | undefined, want: { env: string; holder: string; purpose: string }, now: number, ttlMs = LEASE_MS): LeaseDecision => {
  if (existing && existing.holder !== want.holder && existing.expiresAt > now) return { ok: false, heldBy: existing };
  const acquiredAt = existing && existing.holder === want.holder ? existing.acquiredAt : now;
  return { ok: true, lease: { env: want.env, holder: want.holder, purpose: want.purpose, acquiredAt, expiresAt: now + ttlMs } };
};
