// Masking: a finding shows where a secret is and what kind it is, never the secret itself.

/** Fewest secret characters for which the last four may be shown (at most a quarter of it). */
const SHOW_TAIL_FROM = 16;

/**
 * Masks a secret, keeping a public prefix (such as `ghp_`) and, for long secrets, the last four
 * characters so that people can tell two findings apart: `ghp_****…wxyz`, or `****` when short.
 */
export function maskSecret(secret: string, publicPrefix = ''): string {
  const prefix = secret.startsWith(publicPrefix) ? publicPrefix : '';
  const rest = secret.slice(prefix.length);
  return rest.length >= SHOW_TAIL_FROM ? `${prefix}****…${rest.slice(-4)}` : `${prefix}****`;
}
