// Checks what the admin API is given (environment names, route tables) before anything changes:
// a bad body gets one clear message naming the field, and the running routes stay as they were.

import { isIP } from 'node:net';
import { parseRouteKey } from '../core/edge/route-key.js';
import { checkDomain } from '../core/edge/domain.js';
import type { EnvRoutes, ProxyBackend, ProxyInstance } from '../ports/proxy.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$/;
const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Weights are fractions; floating sums such as 0.1 + 0.2 need a little room. */
const WEIGHT_SLACK = 1e-6;

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A route key as it appears in `/v1/routes/:key`: an environment name (local mode) or
 * `<app>.<env>` (the apps of a server sharing one proxy), see core/edge/route-key.ts.
 */
export function checkRouteEnv(name: string): Checked<string> {
  const r = parseRouteKey(name);
  return r.ok ? { ok: true, value: name } : fail(r.message);
}

/** The body of `PUT /v1/routes/:env`, already parsed from JSON. */
export function checkEnvRoutes(body: unknown): Checked<EnvRoutes> {
  if (!isRecord(body)) return fail('body must be a JSON object {port, backends}');
  for (const key of Object.keys(body)) {
    if (key !== 'port' && key !== 'host' && key !== 'edge' && key !== 'domains' && key !== 'backends') return fail(`unknown field ${JSON.stringify(key)}`);
  }
  const { port, host, edge, domains, backends } = body;
  const checkedDomains = checkDomains(domains);
  if (!checkedDomains.ok) return checkedDomains;
  if (edge !== undefined && typeof edge !== 'boolean') return fail('edge must be true or false');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return fail('port must be an integer from 1 to 65535');
  }
  if (host !== undefined && (typeof host !== 'string' || isIP(host) === 0)) {
    return fail('host must be an IP address such as 127.0.0.1');
  }
  if (!Array.isArray(backends)) return fail('backends must be an array');
  const checked: ProxyBackend[] = [];
  const releases = new Set<string>();
  let sum = 0;
  for (let i = 0; i < backends.length; i++) {
    const b = checkBackend(backends[i], `backends[${i}]`);
    if (!b.ok) return b;
    if (releases.has(b.value.release)) return fail(`backends[${i}].release ${JSON.stringify(b.value.release)} appears twice`);
    releases.add(b.value.release);
    sum += b.value.weight;
    checked.push(b.value);
  }
  if (checked.length > 0 && Math.abs(sum - 1) > WEIGHT_SLACK) {
    return fail(`backend weights must sum to 1 (they sum to ${sum})`);
  }
  const value: EnvRoutes = { port, backends: checked };
  if (host !== undefined) value.host = host;
  if (edge !== undefined) value.edge = edge;
  if (checkedDomains.value.length > 0) value.domains = checkedDomains.value;
  return { ok: true, value };
}

/** At most this many domains per environment. */
const MAX_DOMAINS = 100;

function checkDomains(raw: unknown): Checked<string[]> {
  if (raw === undefined) return { ok: true, value: [] };
  if (!Array.isArray(raw) || raw.length > MAX_DOMAINS) return fail(`domains must be an array of at most ${MAX_DOMAINS} host names`);
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const d: unknown = raw[i];
    if (typeof d !== 'string') return fail(`domains[${i}] must be a string`);
    const r = checkDomain(d);
    if (!r.ok) return fail(`domains[${i}]: ${r.message}`);
    if (seen.has(d)) return fail(`domains[${i}]: ${d} appears twice`);
    seen.add(d);
  }
  return { ok: true, value: [...seen] };
}

function checkBackend(raw: unknown, at: string): Checked<ProxyBackend> {
  if (!isRecord(raw)) return fail(`${at} must be an object {release, weight, instances}`);
  for (const key of Object.keys(raw)) {
    if (key !== 'release' && key !== 'digest' && key !== 'weight' && key !== 'instances') {
      return fail(`${at}: unknown field ${JSON.stringify(key)}`);
    }
  }
  const { release, digest, weight, instances } = raw;
  if (typeof release !== 'string' || !RELEASE_NAME.test(release)) {
    return fail(`${at}.release must be a release name (letters, digits, '.', '_', ':', '+', '-')`);
  }
  if (digest !== undefined && (typeof digest !== 'string' || digest.length === 0 || digest.length > 200)) {
    return fail(`${at}.digest must be a non-empty string`);
  }
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 1) {
    return fail(`${at}.weight must be a fraction from 0 to 1`);
  }
  if (!Array.isArray(instances) || instances.length === 0) {
    return fail(`${at}.instances must be a non-empty array of {id, url}`);
  }
  const checked: ProxyInstance[] = [];
  const ids = new Set<string>();
  for (let j = 0; j < instances.length; j++) {
    const inst = checkInstance(instances[j], `${at}.instances[${j}]`);
    if (!inst.ok) return inst;
    if (ids.has(inst.value.id)) return fail(`${at}.instances[${j}].id ${JSON.stringify(inst.value.id)} appears twice`);
    ids.add(inst.value.id);
    checked.push(inst.value);
  }
  const value: ProxyBackend = { release, weight, instances: checked };
  if (digest !== undefined) value.digest = digest;
  return { ok: true, value };
}

function checkInstance(raw: unknown, at: string): Checked<ProxyInstance> {
  if (!isRecord(raw)) return fail(`${at} must be an object {id, url}`);
  const { id, url } = raw;
  if (typeof id !== 'string' || !INSTANCE_ID.test(id)) return fail(`${at}.id must be a short name (letters, digits, '.', '_', ':', '-')`);
  if (typeof url !== 'string') return fail(`${at}.url must be a string such as http://127.0.0.1:3000`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`${at}.url ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:') return fail(`${at}.url must use http:`);
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') {
    return fail(`${at}.url must be an origin only (http://host:port), without path, query or credentials`);
  }
  return { ok: true, value: { id, url: parsed.origin } };
}
