// Placeholders of a Prometheus check's query: `{{release}}`, `{{env}}`, `{{digest}}` and `{{app}}`
// are replaced before the query runs. Pure; shared by the config check and the Prometheus provider.
// `{{app}}` is the app's name on a server, whose apps share one proxy and whose series carry an
// `app` label; in local mode it is empty, and `app=""` in PromQL matches a series without the label.

export const QUERY_PLACEHOLDERS = ['release', 'env', 'digest', 'app'] as const;
export type QueryPlaceholder = (typeof QUERY_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Placeholders in a query that are not known, e.g. `{{relase}}` → ['relase']. */
export function unknownPlaceholders(query: string): string[] {
  const out: string[] = [];
  for (const m of query.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? '';
    if (!(QUERY_PLACEHOLDERS as readonly string[]).includes(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Escapes a value for use inside a double- or single-quoted PromQL string. */
const escape = (value: string): string => value.replace(/[\\"'\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/**
 * Replaces the placeholders with their (escaped) values.
 * @example substituteQuery('up{release="{{release}}"}', { release: 'v3', env: 'prod', digest: 'sha256:…' }) // 'up{release="v3"}'
 */
export function substituteQuery(
  query: string,
  vars: Record<Exclude<QueryPlaceholder, 'app'>, string> & { app?: string },
): { ok: true; query: string } | { ok: false; message: string } {
  const unknown = unknownPlaceholders(query);
  if (unknown.length > 0) {
    return {
      ok: false,
      message: `unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')} in the query; known: ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
    };
  }
  return { ok: true, query: query.replace(PLACEHOLDER, (_, name: string) => escape(vars[name as QueryPlaceholder] ?? '')) };
}
