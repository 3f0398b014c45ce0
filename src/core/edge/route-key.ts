// The name of one environment's routes in the edge proxy: its route key. In local mode the proxy
// serves one app, and the key is the environment's name (`staging`). A server's apps share one
// proxy, so there the key is `<app>.<env>` (`shop.staging`): two apps may both have `staging`.
// Unambiguous because neither an app name (a DNS label) nor an environment name has a dot. Pure.
import { appNameProblem } from '../app-name.js';
import { checkEnvName, ENV_NAME_EXPECTED } from '../env-name.js';

export interface RouteKey {
  /** The app, in server mode; absent in local mode. */
  app?: string;
  env: string;
}

/** `staging` in local mode, `shop.staging` for the app `shop` of a server. */
export const routeKeyOf = (env: string, app?: string): string => (app === undefined ? env : `${app}.${env}`);

export type RouteKeyCheck = { ok: true; value: RouteKey } | { ok: false; message: string };

/**
 * Reads a route key back, checking both parts: `staging` → {env}, `shop.staging` → {app, env}.
 * Anything else (an empty part, a second dot, an upper-case letter…) is refused with a message.
 */
export function parseRouteKey(key: string): RouteKeyCheck {
  const dot = key.indexOf('.');
  if (dot < 0) {
    const r = checkEnvName(key);
    return r.ok ? { ok: true, value: { env: key } } : { ok: false, message: r.message };
  }
  const app = key.slice(0, dot);
  const env = key.slice(dot + 1);
  const bad = `invalid route name ${JSON.stringify(key.slice(0, 140))}: expected an environment name (${ENV_NAME_EXPECTED}) or <app>.<environment> with the app a DNS label`;
  if (appNameProblem(app) !== undefined || !checkEnvName(env).ok) return { ok: false, message: bad };
  return { ok: true, value: { app, env } };
}

/** `app "shop" environment "staging"`, or `environment "staging"` in local mode: for messages. */
export function describeRoute(key: string): string {
  const k = parseRouteKey(key);
  if (!k.ok) return `route ${JSON.stringify(key.slice(0, 140))}`;
  return k.value.app === undefined ? `environment ${JSON.stringify(k.value.env)}` : `app ${JSON.stringify(k.value.app)} environment ${JSON.stringify(k.value.env)}`;
}
