// The edge proxy as a verification provider: raw request samples per release, read straight from
// the proxy's in-process metrics (no scrape delay). One snapshot call serves every release asked.

import type { ProxyControl } from '../../ports/proxy.js';
import type { Measurement, RequestSamples, RequestsProvider } from '../../ports/metrics.js';

/**
 * A RequestsProvider over the running proxy. The proxy keeps the last 10 000 samples of each
 * release, so a window with more requests than that is judged on its most recent 10 000.
 *
 * @example
 *   const m = await proxyProvider(proxy).requests('production', ['v3', 'v2'], windowStart);
 *   m.v3 // { ok: true, value: { t: [...], ms: [...], status: [...] } }
 */
export function proxyProvider(proxy: Pick<ProxyControl, 'metricsSnapshot'>): RequestsProvider {
  return {
    async requests(env, releases, since) {
      const out: Record<string, Measurement<RequestSamples>> = {};
      try {
        const snap = await proxy.metricsSnapshot(env, since);
        for (const release of releases) {
          const found = snap.releases.find((r) => r.release === release);
          // A release the proxy has not seen a request for yet has no stats: that is zero requests.
          const s = found?.samples ?? { t: [], ms: [], status: [] };
          out[release] = { ok: true, value: { t: s.t, ms: s.ms, status: s.status } };
        }
      } catch (err) {
        const error = `the proxy's metrics of ${env} could not be read: ${err instanceof Error ? err.message : String(err)}`;
        for (const release of releases) out[release] = { ok: false, error };
      }
      return out;
    },
  };
}
