// hello-service: answers JSON greetings, reports health, and can be told to misbehave (for the
// demo of Slipway's verification and automatic rollback).
import { createServer } from 'node:http';

/** The edition of the code; the demo's second commit bumps it. */
const EDITION = 1;

/** Extra latency when HELLO_SLOW_MS is not set; the demo's bad commit leaves a debug delay here. */
const DEFAULT_SLOW_MS = 0;

/**
 * Options come from the environment Slipway gives the process:
 *   PORT                  where to listen (Slipway injects it)
 *   SLIPWAY_RELEASE       the release number, shown in answers
 *   GREETING              a config value (slipway config set ENV GREETING=…)
 *   HELLO_FAIL_RATE       share of requests answered 500 (0..1), to demonstrate a bad release
 *   HELLO_SLOW_MS         extra latency added to every request
 */
export function createApp(env = process.env) {
  const failRate = Number(env.HELLO_FAIL_RATE ?? 0);
  const slowMs = Number(env.HELLO_SLOW_MS ?? DEFAULT_SLOW_MS);
  const release = env.SLIPWAY_RELEASE ?? 'dev';
  const greeting = env.GREETING ?? 'hello';
  let served = 0;

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, release }));
      return;
    }
    const answer = () => {
      served++;
      if (failRate > 0 && Math.random() < failRate) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'injected failure', release }));
        return;
      }
      if (url.pathname === '/echo' && req.method === 'POST') {
        res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' });
        req.pipe(res);
        return;
      }
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `${greeting} from hello-service`, edition: EDITION, release, served }));
    };
    if (slowMs > 0) setTimeout(answer, slowMs);
    else answer();
  });
}
