// Domain names of environments (`environments.<env>.domains`) and how a request's Host finds one:
// the one rule for slipway.yaml, the proxy's admin API and its host table. Pure.
import { describeRoute } from './route-key.js';

/** A DNS label: lower-case letters, digits and `-`, not starting or ending with `-`. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_NAME = 253;
export const DOMAIN_EXPECTED = 'a lower-case DNS name such as shop.example.com, or *.shop.example.com for its subdomains (a wildcard only as the leftmost label; no IP address)';

export type DomainCheck = { ok: true } | { ok: false; message: string };

/** Checks one domain as written in slipway.yaml: `shop.example.com` or `*.shop.example.com`. */
export function checkDomain(domain: string): DomainCheck {
  const bad = (why: string): DomainCheck => ({ ok: false, message: `invalid domain ${JSON.stringify(domain)}: ${why}` });
  if (domain.length === 0 || domain.length > MAX_NAME) return bad(`length must be 1 to ${MAX_NAME}`);
  if (domain !== domain.toLowerCase()) return bad('upper-case letters');
  const labels = domain.split('.');
  const wildcard = labels[0] === '*';
  const rest = wildcard ? labels.slice(1) : labels;
  if (rest.length < (wildcard ? 2 : 1)) return bad(wildcard ? 'a wildcard needs a parent domain with at least two labels' : 'no label');
  for (const label of rest) {
    if (label === '*') return bad('a wildcard is allowed only as the leftmost label');
    if (!LABEL.test(label)) return bad(`label ${JSON.stringify(label)} is not a DNS label`);
  }
  if (/^\d+$/.test(rest[rest.length - 1]!)) return bad('an IP address or a numeric top-level label');
  return { ok: true };
}

/**
 * The first domain of `domains` claimed by another route of `claims` (domain → route key, see
 * route-key.ts), with a message naming both (the app and the environment of each, on a server);
 * undefined when there is none. Wildcards clash only with the same wildcard: `*.shop.example.com`
 * and `a.shop.example.com` may belong to different environments (the exact name wins).
 */
export function domainClash(key: string, domains: readonly string[], claims: ReadonlyMap<string, string>): string | undefined {
  for (const d of domains) {
    const other = claims.get(d);
    if (other !== undefined && other !== key) return `domain ${d} is claimed by both ${describeRoute(other)} and ${describeRoute(key)}`;
  }
  return undefined;
}

/**
 * The host name of a Host header (or HTTP/2 `:authority`): the port stripped, lower-cased, a
 * trailing dot removed. Undefined for an absent or bracketed (IPv6) host, which no domain matches.
 * Example: `Shop.Example.COM.:443` → `shop.example.com`.
 */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '' || header.charCodeAt(0) === 91 /* [ */) return undefined;
  const colon = header.lastIndexOf(':');
  let host = colon < 0 ? header : header.slice(0, colon);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.toLowerCase();
}

/** Host → route key: exact names, then the longest wildcard suffix. Immutable; rebuilt on change. */
export class HostTable<T> {
  private readonly exact = new Map<string, T>();
  /** `*.shop.example.com` is kept as `shop.example.com`. */
  private readonly wild = new Map<string, T>();

  constructor(entries: Iterable<readonly [domain: string, target: T]>) {
    for (const [d, t] of entries) {
      if (d.startsWith('*.')) this.wild.set(d.slice(2), t);
      else this.exact.set(d, t);
    }
  }

  get size(): number {
    return this.exact.size + this.wild.size;
  }

  /**
   * The target of `host` (already normalised by hostOf). A wildcard covers every name below its
   * parent, at any depth; the longest matching parent wins: with `*.example.com` and
   * `*.shop.example.com`, `a.shop.example.com` goes to the second.
   */
  lookup(host: string): T | undefined {
    const hit = this.exact.get(host);
    if (hit !== undefined || this.wild.size === 0) return hit;
    for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
      const t = this.wild.get(host.slice(dot + 1));
      if (t !== undefined) return t;
    }
    return undefined;
  }
}
