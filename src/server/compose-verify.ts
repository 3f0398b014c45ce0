// The measuring side of verification, composed from the metric adapters: the proxy's in-process
// samples, Prometheus, the runtime's crash events, error lines in the instance logs, and synthetic
// probes sent through the proxy, pinned to the release under test.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { crashCounter, gatherMeasurements, logErrorsProvider, prometheusProvider, proxyProvider, type CrashCursor, type LogCursor } from '../adapters/metrics/index.js';
import { releaseLabel } from '../core/deployment/types.js';
import type { MeasureFactory, MeasureTarget, Measurer } from '../engine/deploy/verify.js';
import type { Clock } from '../ports/clock.js';
import { probeKeyOf, proxyFiles, type ProxyControl } from '../ports/proxy.js';
import type { Runtime } from '../ports/runtime.js';
import type { Store } from '../ports/store.js';

/**
 * `proxyHome`: the home whose proxy serves the app (the server's, shared by its apps, in server
 * mode), whose token keys the probes. `app`: the app's name in server mode, which `{{app}}` of a
 * Prometheus check becomes (the proxy labels its series `app="shop"`); local mode's is empty,
 * and `app=""` selects the series without the label, which are a local proxy's.
 */
export const createMeasureFactory = (deps: { proxyHome: string; app?: string; runtime: Runtime; proxy: () => Promise<ProxyControl>; store: Store; clock: Clock }): MeasureFactory =>
  (t: MeasureTarget): Measurer => {
    const label = releaseLabel(t.release);
    const crashes = crashCounter({ runtime: deps.runtime, env: t.env, release: t.release, clock: deps.clock, cursor: t.cursors?.crashes as CrashCursor | undefined });
    const logErrors = logErrorsProvider({ instances: () => deps.runtime.list(t.env, t.release), since: t.since, cursor: t.cursors?.logErrors as LogCursor | undefined });
    const prometheus = t.prometheus ? prometheusProvider({ url: t.prometheus.url, timeoutMs: t.prometheus.timeoutMs }) : undefined;
    let probeHeader: string | undefined;
    return {
      async gather(since) {
        const requests = proxyProvider(await deps.proxy());
        return gatherMeasurements(t.spec, { app: deps.app ?? '', env: t.env, release: { label, digest: t.digest }, baseline: t.baseline === undefined ? undefined : { label: releaseLabel(t.baseline) }, since }, { requests, prometheus, crashes, logErrors });
      },
      cursors: () => ({ crashes: crashes.cursor(), logErrors: logErrors.cursor() }),
      async probe(n) {
        const port = (await deps.store.getEnvState(t.env))?.port;
        if (port === undefined) return;
        probeHeader ??= `${label};${probeKeyOf(readFileSync(proxyFiles(deps.proxyHome).token, 'utf8').trim())}`;
        const one = (): Promise<void> =>
          new Promise((resolve) => {
            const req = request({ host: '127.0.0.1', port, path: t.probe.path, method: t.probe.method, headers: { 'x-slipway-probe': probeHeader, 'user-agent': 'slipway-probe' }, timeout: 5000 }, (res) => {
              res.resume();
              res.on('end', resolve);
              res.on('error', () => resolve());
            });
            req.on('timeout', () => req.destroy());
            req.on('error', () => resolve());
            req.end();
          });
        // A few at a time: a probe measures the release, it is not a load test.
        for (let sent = 0; sent < n; sent += 4) await Promise.all(Array.from({ length: Math.min(4, n - sent) }, one));
      },
      close() {
        crashes.close();
        logErrors.close();
      },
    };
  };
