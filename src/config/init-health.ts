// `slipway init`'s guess at the app's health route: a route registration of one of the usual
// paths found in the source. An app without one is probed on `/`, said so in the file, rather
// than on a /healthz that answers 404 and fails every deploy. Pure: the CLI reads the files.

/** The usual health routes, most specific first: the first one the source registers wins. */
export const HEALTH_PATHS = ['/healthz', '/health', '/up', '/ready', '/status', '/ping'] as const;

/** Source files worth reading for routes. */
export const ROUTE_SOURCE = /\.(?:[cm]?[jt]sx?)$/;

/** A line that registers or compares a route: `app.get(`, `router.route(`, `url === `, `case `, `path:`. */
const ROUTE_CONTEXT = /\.(?:get|head|all|route|use|on)\s*\(|={2,3}|\bcase\b|\b(?:path|url|pathname|route)\b\s*[:=(]/i;

export interface HealthGuess {
  path: string;
  /** Where it was found (`src/app.js:12`), or undefined when it fell back to `/`. */
  foundIn?: string;
}

/**
 * The health path the app answers, from its source texts.
 *
 * @example
 * detectHealthPath([{ path: 'server.js', text: "app.get('/health', (q, r) => r.send('ok'))" }])
 * // → { path: '/health', foundIn: 'server.js:1' }
 */
export function detectHealthPath(sources: ReadonlyArray<{ path: string; text: string }>): HealthGuess {
  const found = new Map<string, string>();
  for (const { path, text } of sources) {
    if (!ROUTE_SOURCE.test(path)) continue;
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (!ROUTE_CONTEXT.test(line)) return;
      for (const m of line.matchAll(/(["'`])(\/[a-z]+)\/?\1/g)) {
        const p = m[2] ?? '';
        if ((HEALTH_PATHS as readonly string[]).includes(p) && !found.has(p)) found.set(p, `${path}:${i + 1}`);
      }
    });
  }
  for (const p of HEALTH_PATHS) {
    const at = found.get(p);
    if (at !== undefined) return { path: p, foundIn: at };
  }
  return { path: '/' };
}
