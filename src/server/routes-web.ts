// The dashboard (docs/dashboard.md): its bundled files, served without a token (they hold no data:
// every figure comes from the API, which the page calls with the token the person logs in with),
// and the two API routes it needs that the CLI did not: who a token is, and a deployment's
// verification as a time series for its chart.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { releaseLabel } from '../core/deployment/types.js';
import { SlipwayError } from '../core/errors.js';
import type { SeriesPoint, VerificationReport } from '../core/verification/index.js';
import type { Engine } from '../engine/engine.js';
import { currentPrincipal } from './auth.js';
import type { Router } from './http.js';

/** dist/src/server/routes-web.js → dist/web, where `npm run build` puts the dashboard (scripts/build-web.mjs). */
const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/**
 * Only the dashboard's own files, from this origin: no inline script or style, no eval, no other
 * host (the API is the same origin), no framing, no forms posted anywhere.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The files of dist/web by the path they are served at: `/` for index.html, `/assets/<path>` for the rest. */
const loadAssets = (dir: string): Map<string, Asset> => {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const ext = /\.[a-z]+$/.exec(name)?.[0] ?? '';
      const type = TYPES[ext];
      if (type === undefined) continue; // source maps, declarations: not served
      const body = readFileSync(full);
      const rel = relative(dir, full).split(sep).join('/');
      out.set(rel === 'index.html' ? '/' : `/assets/${rel}`, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    }
  };
  walk(dir);
  return out;
};

let assets: Map<string, Asset> | undefined;

/**
 * Answers a request for the dashboard's files (GET or HEAD of `/`, `/index.html` or
 * `/assets/…`) and says true; anything else is the API's (false). Paths are looked up in the
 * list of files read at the first request, never joined onto the disk: `..` finds nothing.
 */
export const serveWebAsset = (raw: IncomingMessage, res: ServerResponse): boolean => {
  const method = raw.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = (raw.url ?? '/').split('?')[0] ?? '/';
  // A browser asks for /favicon.ico by itself: answered here (404) rather than with the API's 401.
  if (path !== '/' && path !== '/index.html' && path !== '/favicon.ico' && !path.startsWith('/assets/')) return false;
  assets ??= loadAssets(WEB_DIR);
  const asset = assets.get(path === '/index.html' ? '/' : path);
  const headers: Record<string, string> = {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-cache',
  };
  if (asset === undefined) {
    const text = path === '/' ? 'The dashboard is not built: run `npm run build` (it writes dist/web).\n' : 'no such file\n';
    res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(method === 'HEAD' ? undefined : text);
    return true;
  }
  if (raw.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, { ...headers, etag: asset.etag });
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, 'content-type': asset.type, 'content-length': asset.body.length, etag: asset.etag });
  res.end(method === 'HEAD' ? undefined : asset.body);
  return true;
};

/** Who the calling token is: the dashboard shows only the actions its role allows (the server still checks each). */
export const addWhoamiRoute = (r: Router, mode: 'local' | 'server'): void => {
  r.on('GET', '/v1/whoami', () => {
    const p = currentPrincipal();
    return Promise.resolve({ name: p?.name ?? null, role: p?.role ?? null, app: p?.app ?? null, mode });
  }, {
    summary: "The calling token's name, role and app scope, and whether this is a local control plane or a server of many apps",
    response: z.object({ name: z.string().nullable(), role: z.enum(['read', 'deploy', 'admin']).nullable(), app: z.string().nullable(), mode: z.enum(['local', 'server']) }),
  });
};

interface PersistedVerification {
  windowStart: number;
  intervalMs?: number;
  windowMs?: number;
  report?: VerificationReport;
  series?: SeriesPoint[];
}

/** A deployment's verification windows as time series, with thresholds, first bad samples and the rollback moment. */
export const addVerificationRoute = (r: Router, engine: Engine): void => {
  const { store } = engine.ctx;
  r.on('GET', '/v1/deployments/:id/verification', async (req) => {
    const raw = req.params.id ?? '';
    const d = await store.getDeployment(/^\d+$/.test(raw) ? `d${raw}` : raw);
    if (!d) throw new SlipwayError('not_found', `no deployment "${raw.slice(0, 80)}"`, 'see the deployments with `slipway history ENV`');
    const windows = [];
    for (const [action, a] of d.plan.entries()) {
      if (a.kind !== 'verify') continue;
      const rec = (await store.getVerification(d.id, action)) as PersistedVerification | undefined;
      if (rec === undefined) continue;
      const report = rec.report;
      windows.push({
        action,
        label: a.label,
        release: releaseLabel(a.release),
        windowStart: new Date(rec.windowStart).toISOString(),
        intervalMs: rec.intervalMs ?? null,
        windowMs: rec.windowMs ?? report?.windowMs ?? null,
        decision: report?.decision ?? null,
        summary: report?.summary ?? null,
        requests: report?.requests ?? null,
        checks: (report?.checks ?? []).map((c) => ({
          id: c.id,
          source: c.source,
          status: c.status,
          unit: c.unit,
          observed: c.observed ?? null,
          threshold: c.threshold ?? null,
          samples: c.samples,
          firstBadAt: c.firstBadAt === undefined ? null : new Date(c.firstBadAt).toISOString(),
          message: c.message,
        })),
        series: (rec.series ?? []).map((p) => ({ ...p, at: new Date(p.at).toISOString() })),
      });
    }
    const events = await store.listEvents({ subject: d.id, limit: 10_000 });
    const at = (kind: string, test: (data: Record<string, unknown>) => boolean = () => true): string | null => events.find((e) => e.kind === kind && test(e.data))?.at ?? null;
    return {
      deployment: { id: d.id, env: d.env, release: releaseLabel(d.release), phase: d.phase },
      windows,
      verdictAt: at('deployment.verification_failed'),
      rollingBackAt: at('deployment.phase', (data) => data.phase === 'rolling_back'),
      restoredAt: at('deployment.restored'),
    };
  }, {
    summary: "A deployment's verification windows as time series: requests, error rate and latency per interval, each check's threshold and first bad sample, and when it was rolled back",
    description: 'One entry per verification window of its plan (a blue-green window, each canary step) that has started; `series` has one bucket per interval. `verdictAt` is when a verification failed, `rollingBackAt` when its rollback began and `restoredAt` when traffic went back to the previous release (null when none of these happened).',
  });
};
