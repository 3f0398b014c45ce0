// The proxy, log and crash providers: what they count, that they read only new bytes, resume from
// their cursor without counting twice, and turn failures into measurements in error.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { proxyProvider } from './proxy.js';
import { isErrorText, logErrorsProvider } from './logs.js';
import { crashCounter } from './crashes.js';
import type { MetricsSnapshot } from '../../ports/proxy.js';
import type { InstanceInfo, RuntimeEvent } from '../../ports/runtime.js';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe('proxyProvider', () => {
  const snapshot: MetricsSnapshot = {
    env: 'production',
    now: T0,
    unrouted: 0,
    releases: [
      {
        release: 'v3',
        requests: { total: 2, '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 1 },
        errors: 1,
        upstreamErrors: 0,
        inflight: 0,
        samples: { t: [T0 + 1, T0 + 2], ms: [3.5, 7], status: [200, 502] },
      },
    ],
  };

  test('gives each release its samples since the time asked, and empty samples for one not seen yet', async () => {
    const asked: Array<[string, number | undefined]> = [];
    const provider = proxyProvider({
      metricsSnapshot: (env, since) => {
        asked.push([env, since]);
        return Promise.resolve(snapshot);
      },
    });
    const m = await provider.requests('production', ['v3', 'v2'], T0);
    assert.deepEqual(asked, [['production', T0]]);
    assert.deepEqual(m.v3, { ok: true, value: { t: [T0 + 1, T0 + 2], ms: [3.5, 7], status: [200, 502] } });
    assert.deepEqual(m.v2, { ok: true, value: { t: [], ms: [], status: [] } });
  });

  test('an unreachable proxy is a measurement in error for every release', async () => {
    const provider = proxyProvider({ metricsSnapshot: () => Promise.reject(new Error('the proxy is not running')) });
    const m = await provider.requests('production', ['v3', 'v2'], T0);
    for (const r of ['v3', 'v2']) {
      assert.deepEqual(m[r], { ok: false, error: "the proxy's metrics of production could not be read: the proxy is not running" });
    }
  });
});

describe('isErrorText', () => {
  test('matches error words and error class names, not words that merely contain them', () => {
    for (const yes of ['Error: boom', 'TypeError: x is not a function', 'FATAL out of memory', 'Uncaught exception', '{"level":"error"}', 'java.lang.NullPointerException', 'panic: runtime']) {
      assert.ok(isErrorText(yes), yes);
    }
    for (const no of ['GET / 200', '0 errors', 'error_rate ok', 'terrorist', 'errors=0', 'warning: slow']) {
      assert.ok(!isErrorText(no), no);
    }
  });
});

describe('logErrorsProvider', () => {
  let dir = '';
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const setup = () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
    return [path.join(dir, 'a.log'), path.join(dir, 'b.log')] as const;
  };

  test('counts error lines of out and err at or after the window start, across instances', async () => {
    const [a, b] = setup();
    fs.writeFileSync(a, [`${at(-5000)} err Error: before the window`, `${at(0)} out listening`, `${at(1200)} err TypeError: boom`, `${at(1300)} slipway instance exited with error`, 'no prefix Error', ''].join('\n'));
    fs.writeFileSync(b, `${at(900)} out {"level":"error","msg":"db down"}\n`);
    const logs = logErrorsProvider({ instances: () => [{ log: a }, { log: b }], since: T0 });
    assert.deepEqual(await logs.count(), { ok: true, value: { count: 2, firstAt: T0 + 900 } });
  });

  test('reads only what was appended, a half-written line once it is complete', async () => {
    const [a] = setup();
    fs.writeFileSync(a, `${at(10)} err Error: one\n${at(20)} err Error: tw`);
    const logs = logErrorsProvider({ instances: () => [{ log: a }], since: T0 });
    assert.equal(((await logs.count()) as { value: { count: number } }).value.count, 1);
    const afterFirst = logs.cursor().files[a]?.offset;
    assert.equal(afterFirst, Buffer.byteLength(`${at(10)} err Error: one\n`));
    fs.appendFileSync(a, `o\n${at(30)} out fine\n`);
    assert.equal(((await logs.count()) as { value: { count: number } }).value.count, 2);
    assert.equal(logs.cursor().files[a]?.offset, fs.statSync(a).size);
  });

  test('resuming from the cursor counts nothing twice and picks up new lines', async () => {
    const [a] = setup();
    fs.writeFileSync(a, `${at(10)} err Error: one\n`);
    const first = logErrorsProvider({ instances: () => [{ log: a }], since: T0 });
    await first.count();
    const cursor = JSON.parse(JSON.stringify(first.cursor())) as ReturnType<typeof first.cursor>;
    fs.appendFileSync(a, `${at(20)} err Error: two\n`);
    const resumed = logErrorsProvider({ instances: () => [{ log: a }], since: 0, cursor });
    assert.deepEqual(await resumed.count(), { ok: true, value: { count: 2, firstAt: T0 + 10 } });
  });

  test('a log file not written yet counts zero; a replaced (shorter) file is read from its start', async () => {
    const [a, b] = setup();
    const logs = logErrorsProvider({ instances: () => [{ log: a }, { log: b }], since: T0 });
    assert.deepEqual(await logs.count(), { ok: true, value: { count: 0 } });
    fs.writeFileSync(a, `${at(10)} err Error: one with a long line of text\n`);
    await logs.count();
    fs.writeFileSync(a, `${at(20)} err fatal\n`);
    assert.equal(((await logs.count()) as { value: { count: number } }).value.count, 2);
  });

  test('an unreadable log is a measurement in error', async () => {
    const [a] = setup();
    fs.mkdirSync(a); // a directory where the file should be
    const m = await logErrorsProvider({ instances: () => [{ log: a }], since: T0 }).count();
    assert.equal(m.ok, false);
    assert.match(m.ok ? '' : m.error, /^instance logs could not be read: /);
  });
});

describe('crashCounter', () => {
  const instance = (env: string, release: number): InstanceInfo => ({
    id: `${env}-v${release}-1`,
    env,
    release,
    digest: 'sha256:00',
    pid: 1,
    port: 1,
    url: 'http://127.0.0.1:1',
    startedAt: at(0),
    restarts: 0,
    state: 'crashed',
    log: '/dev/null',
  });

  test('counts crashes of its release only, with the time of the first; resumes from its cursor; close stops listening', async () => {
    const listeners = new Set<(e: RuntimeEvent) => void>();
    const runtime = {
      onEvent(l: (e: RuntimeEvent) => void) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const emit = (e: RuntimeEvent) => listeners.forEach((l) => l(e));
    let now = T0 + 500;
    const clock = { now: () => new Date(now) };
    const counter = crashCounter({ runtime, env: 'production', release: 3, clock });
    const crash = (env: string, release: number) => emit({ kind: 'instance.crashed', instance: instance(env, release), exitCode: 1, signal: null, lastLines: [] });
    crash('production', 3);
    now += 1000;
    crash('production', 3);
    crash('production', 2);
    crash('staging', 3);
    emit({ kind: 'instance.stopped', instance: instance('production', 3) });
    assert.deepEqual(await counter.count(), { ok: true, value: { count: 2, firstAt: T0 + 500 } });
    counter.close();
    counter.close();
    assert.equal(listeners.size, 0);
    const resumed = crashCounter({ runtime, env: 'production', release: 3, clock, cursor: counter.cursor() });
    crash('production', 3);
    assert.deepEqual(await resumed.count(), { ok: true, value: { count: 3, firstAt: T0 + 500 } });
  });
});
