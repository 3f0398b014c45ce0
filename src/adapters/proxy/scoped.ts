// One app's view of the proxy that all apps of a server share (server mode). The engine of an app
// is the same as in local mode: it names its environments (`staging`), and this wrapper turns each
// name into the app's route key (`shop.staging`, core/edge/route-key.ts) on the way in and back on
// the way out. It lists, sets and removes only routes under its own app, so one app can neither
// see nor change another's; the shared proxy itself refuses a domain another app holds.
import { parseRouteKey, routeKeyOf } from '../../core/edge/route-key.js';
import { SlipwayError } from '../../core/errors.js';
import type { EnvRouteStatus, ProxyControl, ProxyResult } from '../../ports/proxy.js';

/** The environment of `key` when it is a route of `app`, else undefined. */
const envOf = (key: string, app: string): string | undefined => {
  const k = parseRouteKey(key);
  return k.ok && k.value.app === app ? k.value.env : undefined;
};

const ownStatus = (s: EnvRouteStatus, app: string): EnvRouteStatus => ({ ...s, env: envOf(s.env, app) ?? s.env });

/**
 * `shared` seen by the app `app` alone. `stop()` removes the app's routes (its ports close, its
 * domains are no longer served) and leaves the proxy serving the other apps: it is what `slipway
 * down` and `apps rm` of one app do. `upgrade()` replaces the shared process (zero-drop for all).
 */
export const scopedProxy = (shared: ProxyControl, app: string): ProxyControl => ({
  async setRoutes(env, routes) {
    const r = await shared.setRoutes(routeKeyOf(env, app), routes);
    return r.ok ? { ok: true, value: ownStatus(r.value, app) } : r;
  },
  async getRoutes() {
    return (await shared.getRoutes()).filter((s) => envOf(s.env, app) !== undefined).map((s) => ownStatus(s, app));
  },
  removeEnv: (env) => shared.removeEnv(routeKeyOf(env, app)),
  inflight: (env, release) => shared.inflight(routeKeyOf(env, app), release),
  async metricsSnapshot(env, since) {
    return { ...(await shared.metricsSnapshot(routeKeyOf(env, app), since)), env };
  },
  upgrade: () => shared.upgrade(),
  async stop() {
    const own = (await shared.getRoutes()).flatMap((s) => envOf(s.env, app) ?? []);
    const failed: string[] = [];
    for (const env of own) {
      const r: ProxyResult<null> = await shared.removeEnv(routeKeyOf(env, app));
      if (!r.ok && r.reason !== 'not_found') failed.push(`${env}: ${r.message}`);
    }
    if (failed.length > 0) throw new SlipwayError('failed', `the shared proxy kept routes of the app "${app}": ${failed.join('; ')}`);
  },
  isAlive: () => shared.isAlive(),
});
