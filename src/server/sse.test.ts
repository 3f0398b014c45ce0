// Server-Sent Events over a real API server, a real SQLite store and a real bus: given a stream of
// the event log, when a client reads, goes away mid-stream, comes back with Last-Event-ID, or stops
// reading, then it gets every event once and in order, no listener is left behind, a bad id is a
// 400 before the stream begins, and a client that does not read holds the server back instead of
// filling its memory.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../adapters/store/sqlite/store.js';
import { Bus } from '../engine/bus.js';
import type { Authenticate } from './auth.js';
import { Router } from './http.js';
import { startApiServer, type ApiServer } from './server.js';
import { eventSource, openStreams, serveSse, startAfter, type SseSource } from './sse.js';
import { SseClient } from '../test-support/sse-client.js';
import { waitFor } from '../test-support/wait.js';

const TOKEN = 'sse-test-token';
const authenticate: Authenticate = (presented) => Promise.resolve(presented === TOKEN ? { ok: true, principal: { name: 'tester', role: 'read' } } : { ok: false, message: 'wrong token' });

describe('Server-Sent Events', () => {
  let dir: string;
  let store: ReturnType<typeof openSqliteStore>;
  const bus = new Bus();
  let api: ApiServer;
  let base = '';
  /** The response of the latest stream (to look at its buffer) and what its source read. */
  let lastRes: ServerResponse | undefined;
  let read = 0;
  const auth = { authorization: `Bearer ${TOKEN}` };

  /** Appends an event and announces it, as the engine does. */
  const append = async (kind: string, data: Record<string, unknown> = {}, announce = true): Promise<number> => {
    const e = await store.appendEvent({ kind, actor: 'test', subject: 's1', data }, new Date().toISOString());
    if (announce) bus.publish({ type: 'event', event: e });
    return e.seq;
  };
  const seqs = (c: SseClient): number[] => c.frames.filter((f) => f.event === 'event').map((f) => Number(f.id));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-sse-'));
    store = openSqliteStore(join(dir, 'db'));
    const r = new Router();
    r.on(
      'GET',
      '/v1/events/stream',
      (req, res) => {
        lastRes = res;
        const source = eventSource(store, bus);
        const counted: SseSource = { ...source, read: async (a, l) => {
          const items = await source.read(a, l);
          read += items.length;
          return items;
        } };
        return serveSse(res, counted, { after: startAfter(req, 0), mask: (v) => v, heartbeatMs: 30, pollMs: 50 });
      },
      { summary: 'the event log as SSE', stream: 'sse' },
    );
    api = await startApiServer(r, authenticate);
    base = `http://127.0.0.1:${api.port}/v1/events/stream`;
  });
  after(async () => {
    await api.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every recorded event, then live ones, each with its id; keep-alive comments while idle', async () => {
    for (let i = 0; i < 3; i++) await append('before');
    const c = await SseClient.open(base, auth);
    assert.equal(c.status, 200);
    assert.match(String(c.headers['content-type']), /^text\/event-stream/);
    await c.until('the three recorded events', (f) => f.length === 3);
    await append('live');
    // One that nobody announces on the bus is found by the stream's own look at the store.
    await append('unannounced', {}, false);
    await c.until('the live events', (f) => f.length === 5);
    assert.deepEqual(seqs(c), [1, 2, 3, 4, 5]);
    assert.deepEqual(c.json<{ kind: string }>('event').map((e) => e.kind), ['before', 'before', 'before', 'live', 'unannounced']);
    await waitFor(() => c.comments.includes('keep-alive'), { what: 'a keep-alive comment' });
    c.close();
    await waitFor(() => openStreams() === 0 && bus.listenerCount() === 0, { what: 'the stream to end and leave no listener' });
  });

  test('a client that goes away leaves no listener; coming back with Last-Event-ID it gets exactly what it missed', async () => {
    const baseline = bus.listenerCount();
    const first = await SseClient.open(base, auth);
    await first.until('the recorded events', (f) => f.length === 5);
    assert.equal(bus.listenerCount(), baseline + 1);
    first.close();
    await waitFor(() => bus.listenerCount() === baseline && openStreams() === 0, { what: 'the listener of the closed stream to be removed' });
    // What happened while it was away.
    for (let i = 0; i < 4; i++) await append('missed');
    const lastSeen = seqs(first).at(-1) ?? 0;
    const again = await SseClient.open(base, { ...auth, 'last-event-id': String(lastSeen) });
    await again.until('the missed events', (f) => f.length === 4);
    await append('after');
    await again.until('the next live one', (f) => f.length === 5);
    assert.deepEqual(seqs(again), [6, 7, 8, 9, 10]);
    again.close();
    // A first connection resumes with ?lastEventId=; the header (a browser reconnecting) wins over it.
    const byQuery = await SseClient.open(`${base}?lastEventId=8`, auth);
    await byQuery.until('the events after 8', (f) => f.length === 2);
    assert.deepEqual(seqs(byQuery), [9, 10]);
    byQuery.close();
    const both = await SseClient.open(`${base}?lastEventId=1`, { ...auth, 'last-event-id': '9' });
    await both.until('the events after 9', (f) => f.length === 1);
    assert.deepEqual(seqs(both), [10]);
    both.close();
    await waitFor(() => bus.listenerCount() === baseline && openStreams() === 0, { what: 'every stream to be closed' });
  });

  test('a bad Last-Event-ID is a 400 with code "usage" before the stream begins; no token is a 401', async () => {
    for (const bad of ['abc', '-1', '1.5', '1e3', '0x10', ' ', '99999999999999999999']) {
      const c = await SseClient.open(base, { ...auth, 'last-event-id': bad });
      assert.equal(c.status, 400, bad);
      const body = JSON.parse(c.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'usage');
      assert.match(body.error.message, /Last-Event-ID must be/);
    }
    const q = await SseClient.open(`${base}?lastEventId=x`, auth);
    assert.equal(q.status, 400);
    const none = await SseClient.open(base);
    assert.equal(none.status, 401);
    assert.equal((JSON.parse(none.body) as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal(openStreams(), 0);
    assert.equal(bus.listenerCount(), 0);
  });

  test('a client that does not read holds the server back: its buffer stays small, and it still gets everything once', async () => {
    const big = 'x'.repeat(200_000);
    const from = (await append('marker')) ;
    const TOTAL = 120;
    for (let i = 0; i < TOTAL; i++) await append('big', { i, big });
    read = 0;
    const c = await SseClient.open(`${base}?lastEventId=${from}`, auth);
    c.res.pause();
    const res = lastRes;
    assert.ok(res);
    await waitFor(() => res.writableNeedDrain, { what: 'the server to wait for the client to drain' });
    // The server holds at most about one event beyond its high-water mark, not the 24 MB asked for.
    assert.ok(res.writableLength < 2 * big.length + res.writableHighWaterMark, `buffered ${res.writableLength} bytes`);
    assert.ok(c.frames.length < TOTAL);
    c.res.resume();
    await c.until('every big event', (f) => f.length === TOTAL, 60_000);
    assert.deepEqual(seqs(c), Array.from({ length: TOTAL }, (_, i) => from + 1 + i));
    assert.equal(read, TOTAL, 'each event was read from the store once');
    c.close();
    await waitFor(() => bus.listenerCount() === 0 && openStreams() === 0, { what: 'the stream to be closed' });
  });
});
