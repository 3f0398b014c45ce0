// Artifact digests: the `sha256:<hex>` names of stored artifacts, and the short forms a user may
// type (bare hex, or a unique prefix of at least 7 hex characters).

export const MIN_PREFIX = 7;

/** A full artifact digest, always written `sha256:` + 64 lowercase hex characters. */
export type Digest = `sha256:${string}`;

export type DigestRef =
  | { ok: true; kind: 'full'; hex: string }
  | { ok: true; kind: 'prefix'; prefix: string }
  | { ok: false; message: string };

const HEX = /^[0-9a-f]+$/;

/**
 * Reads what a user typed to name an artifact: `sha256:<64 hex>`, `<64 hex>`, or a prefix of
 * 7–63 hex characters (with or without `sha256:`). Upper-case hex is accepted and lowered.
 */
export function parseDigestRef(input: string): DigestRef {
  const raw = input.trim();
  let hex = raw.toLowerCase();
  if (hex.includes(':')) {
    const [alg, rest] = [hex.slice(0, hex.indexOf(':')), hex.slice(hex.indexOf(':') + 1)];
    if (alg !== 'sha256') {
      return { ok: false, message: `unsupported digest algorithm "${alg}" in "${raw}": only sha256 is used` };
    }
    hex = rest;
  }
  if (hex === '') return { ok: false, message: `empty digest "${raw}"` };
  if (!HEX.test(hex)) return { ok: false, message: `"${raw}" is not a digest: expected hex characters 0-9a-f` };
  if (hex.length > 64) return { ok: false, message: `"${raw}" is too long for a sha256 digest (64 hex characters)` };
  if (hex.length === 64) return { ok: true, kind: 'full', hex };
  if (hex.length < MIN_PREFIX) {
    return { ok: false, message: `digest prefix "${raw}" is too short: give at least ${MIN_PREFIX} hex characters` };
  }
  return { ok: true, kind: 'prefix', prefix: hex };
}

/** True when `s` is exactly a full digest in canonical form. */
export function isDigest(s: string): s is Digest {
  return /^sha256:[0-9a-f]{64}$/.test(s);
}

/** `sha256:<hex>` from 64 hex characters. */
export function digestOf(hex: string): Digest {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError(`not a sha256 hex digest: ${hex}`);
  return `sha256:${hex}`;
}

/** The 64 hex characters of a full digest. */
export function hexOf(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** The short form shown to people: `sha256:` and the first 12 hex characters. */
export function shortDigest(digest: Digest): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

export type Resolved = { ok: true; hex: string } | { ok: false; reason: 'not-found' | 'ambiguous'; message: string };

/**
 * Picks the one stored digest a reference names, among `known` (hex strings). Pure, so that the
 * store and any fake share the same rules.
 */
export function resolveDigestRef(ref: DigestRef & { ok: true }, known: Iterable<string>, shown: string): Resolved {
  if (ref.kind === 'full') {
    for (const k of known) if (k === ref.hex) return { ok: true, hex: k };
    return { ok: false, reason: 'not-found', message: `no artifact ${shown}` };
  }
  const matches: string[] = [];
  for (const k of known) if (k.startsWith(ref.prefix)) matches.push(k);
  if (matches.length === 1) return { ok: true, hex: matches[0] as string };
  if (matches.length === 0) return { ok: false, reason: 'not-found', message: `no artifact matches ${shown}` };
  matches.sort();
  const list = matches.slice(0, 5).map((m) => `sha256:${m.slice(0, 16)}…`).join(', ');
  return {
    ok: false,
    reason: 'ambiguous',
    message: `${shown} matches ${matches.length} artifacts (${list}); give more characters`,
  };
}
