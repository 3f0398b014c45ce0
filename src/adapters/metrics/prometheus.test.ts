// The Prometheus provider against a tiny fake Prometheus on 127.0.0.1 that answers the contract's
// queries as a real one does, plus the failures a real one cannot easily produce on demand.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTRACT_QUERIES, prometheusContract } from './prometheus-contract.js';
import { prometheusProvider, readAnswer } from './prometheus.js';
import type { Measurement } from '../../ports/metrics.js';

const VARS = { release: 'v3', env: 'production', digest: 'sha256:0123' };
const vector = (...series: Array<[Record<string, string>, string]>) => ({
  status: 'success',
  data: { resultType: 'vector', result: series.map(([metric, v]) => ({ metric, value: [1700000000.5, v] })) },
});

/** What the fake answers, by the query it receives (after substitution). */
const ANSWERS: Record<string, { status?: number; body: unknown }> = {
  [CONTRACT_QUERIES.one]: { body: vector([{}, '42']) },
  [CONTRACT_QUERIES.scalar]: { body: { status: 'success', data: { resultType: 'scalar', result: [1700000000.5, '3'] } } },
  [CONTRACT_QUERIES.none]: { body: vector() },
  [CONTRACT_QUERIES.several]: { body: vector([{ x: 'a' }, '1'], [{ x: 'b' }, '2']) },
  [CONTRACT_QUERIES.substituted.replace('{{release}}', 'v3')]: { body: vector([{ r: 'v3' }, '7']) },
  [CONTRACT_QUERIES.matrix]: { body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '1']] }] } } },
  'nan_query': { body: vector([{}, 'NaN']) },
  'inf_query': { body: vector([{}, '+Inf']) },
  'html_query': { status: 502, body: '<html>Bad Gateway</html>' },
  'unavailable_query': { status: 503, body: { message: 'down for maintenance' } },
};

let server: http.Server;
let base = '';
const seen: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('/api/v1/query')) {
      const query = url.searchParams.get('query') ?? '';
      seen.push(`${url.pathname} ${query}`);
      if (query === 'slow_query') return; // never answers
      const answer = ANSWERS[query] ?? {
        status: 400,
        body: { status: 'error', errorType: 'bad_data', error: `invalid parameter "query": 1:5: parse error: unclosed left parenthesis` },
      };
      res.writeHead(answer.status ?? 200, { 'content-type': typeof answer.body === 'string' ? 'text/html' : 'application/json' });
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const error = (m: Measurement<number>): string => (m.ok ? `(a value: ${m.value})` : m.error);

describe('the Prometheus contract, against a fake Prometheus', () => {
  prometheusContract(() => base);
});

describe('failures of the Prometheus provider', () => {
  test('an unreachable Prometheus is a measurement in error naming the URL and the reason', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const m = await prometheusProvider({ url: `http://127.0.0.1:${port}` }).query('up', VARS);
    assert.match(error(m), new RegExp(`^Prometheus at http://127\\.0\\.0\\.1:${port} is unreachable: ECONNREFUSED`));
  });

  test('a Prometheus that does not answer in time is a measurement in error', async () => {
    const m = await prometheusProvider({ url: base, timeoutMs: 200 }).query('slow_query', VARS);
    assert.match(error(m), /is unreachable: no answer within 200 ms/);
  });

  test('an answer that is not JSON, or an HTTP error without a Prometheus body, says what came back', async () => {
    assert.match(error(await prometheusProvider({ url: base }).query('html_query', VARS)), /answered HTTP 502 with something that is not JSON: <html>Bad Gateway/);
    assert.match(error(await prometheusProvider({ url: base }).query('unavailable_query', VARS)), /answered HTTP 503$/);
  });

  test('NaN is a measurement in error with a hint; +Inf is a value', async () => {
    assert.match(error(await prometheusProvider({ url: base }).query('nan_query', VARS)), /returned NaN .*or vector\(0\)/);
    assert.deepEqual(await prometheusProvider({ url: base }).query('inf_query', VARS), { ok: true, value: Infinity });
  });

  test('an unknown placeholder is refused before any request is sent', async () => {
    const before = seen.length;
    const m = await prometheusProvider({ url: base }).query('up{release="{{relase}}"}', VARS);
    assert.match(error(m), /unknown placeholder \{\{relase\}\} in the query; known: \{\{release\}\}, \{\{env\}\}, \{\{digest\}\}/);
    assert.equal(seen.length, before);
  });

  test('placeholders are replaced and escaped; a path prefix of the URL is kept', async () => {
    await prometheusProvider({ url: `${base}/prom/` }).query('up{env="{{env}}",digest="{{ digest }}"}', { ...VARS, env: 'a"b' });
    assert.equal(seen.at(-1), '/prom/api/v1/query up{env="a\\"b",digest="sha256:0123"}');
  });

  test('{{app}} is the app of a server, and empty in local mode (app="" selects the series without the label)', async () => {
    await prometheusProvider({ url: base }).query('up{app="{{app}}",env="{{env}}"}', { ...VARS, app: 'shop' });
    assert.equal(seen.at(-1), `/api/v1/query up{app="shop",env="${VARS.env}"}`);
    await prometheusProvider({ url: base }).query('up{app="{{app}}",env="{{env}}"}', VARS);
    assert.equal(seen.at(-1), `/api/v1/query up{app="",env="${VARS.env}"}`);
  });

  test('a URL that is not one is a measurement in error', async () => {
    assert.match(error(await prometheusProvider({ url: 'not a url' }).query('up', VARS)), /"not a url" is not a URL/);
  });

  test('malformed answers are explained, never thrown', () => {
    assert.match(error(readAnswer(null, 'q')), /no JSON object/);
    assert.match(error(readAnswer({ status: 'success' }, 'q')), /no status and data/);
    assert.match(error(readAnswer({ status: 'success', data: { resultType: 'vector', result: 5 } }, 'q')), /malformed vector/);
    assert.match(error(readAnswer({ status: 'success', data: { resultType: 'vector', result: [{ value: 'x' }] } }, 'q')), /malformed sample/);
    assert.match(error(readAnswer({ status: 'success', data: { resultType: 'string', result: [1, 'a'] } }, 'q')), /returned a string result/);
    assert.match(error(readAnswer({ status: 'success', data: { resultType: 'vector', result: [{ value: [1, 2] }] } }, 'q')), /not a string/);
  });
});
