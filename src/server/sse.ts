// Server-Sent Events: the one way the API streams to browsers and `curl -N` (docs/api.md). Every
// event carries an `id:` (a sequence number of the record it comes from); a client that comes back
// with `Last-Event-ID` (or `?lastEventId=` for a first connection) gets exactly the events after
// it. The store is the record and the bus only says "look again": each wake-up reads the store
// after the last id sent, so nothing is lost when notices come out of order or not at all, and a
// slow client costs no memory (the next page is read only once the socket has drained). Comments
// keep idle connections alive through proxies; a client that goes away ends the stream and
// removes its listener.
import type { ServerResponse } from 'node:http';
import { isRunFinished } from '../core/run.js';
import type { Bus } from '../engine/bus.js';
import type { Store } from '../ports/store.js';
import { HttpError, STREAMED, type Request } from './http.js';

/** One event of a stream: its id (increasing), its SSE event name and its JSON data. */
export interface SseItem {
  id: number;
  event: string;
  data: unknown;
}

export interface SseSource {
  /** The items with an id after `after`, oldest first, at most `limit`: read from the record. */
  read(after: number, limit: number): Promise<SseItem[]>;
  /**
   * Called with a function to call whenever something may have been added (a bus notice);
   * answers the function that stops calling it.
   */
  watch(wake: () => void): () => void;
  /**
   * Whether the stream is over, and what its last event (`end`) says. Asked before the last read,
   * so that nothing recorded before the end is cut off. A stream without it never ends by itself.
   */
  finished?(): Promise<unknown>;
}

export interface SseOptions {
  /** The id to start after (see `startAfter`). */
  after: number;
  /** Applied to each event's data before it is sent (the masking of secret values). */
  mask: <T>(value: T) => T;
  /** Milliseconds between keep-alive comments (15 s by default). */
  heartbeatMs?: number;
  /** Milliseconds between looks at the store without a notice, for records nobody announces (1 s by default). */
  pollMs?: number;
}

const PAGE = 500;
const ID_PATTERN = /^(0|[1-9][0-9]{0,14})$/;

/** The streams open now (for /v1/health and the tests that check none is left behind). */
let open = 0;
export const openStreams = (): number => open;

/**
 * The id a stream resumes after: the `Last-Event-ID` header (what a browser's EventSource sends
 * when it reconnects), else `?lastEventId=` (to resume on a first connection), else `fallback`.
 * Anything but a whole number is the client's mistake (400), said before the stream begins.
 */
export const startAfter = (req: Request, fallback: number): number => {
  const header = req.raw.headers['last-event-id'];
  const raw = (Array.isArray(header) ? header[0] : header) ?? req.query.get('lastEventId') ?? undefined;
  if (raw === undefined) return fallback;
  const text = raw.trim();
  if (!ID_PATTERN.test(text)) throw new HttpError(400, `Last-Event-ID must be the id of an event received (a whole number), not "${raw.slice(0, 40)}"`);
  return Number(text);
};

/** Whether a request asks for Server-Sent Events (an EventSource, `curl -H 'Accept: text/event-stream'`). */
export const wantsSse = (req: Request): boolean => /\btext\/event-stream\b/i.test(req.raw.headers.accept ?? '');

const frame = (item: SseItem, mask: <T>(value: T) => T): string => `id: ${item.id}\nevent: ${item.event}\ndata: ${JSON.stringify(mask(item.data))}\n\n`;

/** Serves `source` as Server-Sent Events on `res` until it is finished or the client goes away. */
export const serveSse = async (res: ServerResponse, source: SseSource, opts: SseOptions): Promise<typeof STREAMED> => {
  let last = opts.after;
  let closed = false;
  let dirty = true;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    dirty = true;
    wake?.();
  };
  const onClose = (): void => {
    closed = true;
    poke();
  };
  res.on('close', onClose);
  const unwatch = source.watch(poke);
  const poll = setInterval(poke, opts.pollMs ?? 1000);
  const heartbeat = setInterval(() => {
    // A client that does not read gets no more comments on top of what it has not read.
    if (!closed && !res.writableNeedDrain) res.write(': keep-alive\n\n');
  }, opts.heartbeatMs ?? 15_000);
  open++;
  /** Writes, then waits while the client has not taken what was written (backpressure). */
  const write = async (text: string): Promise<void> => {
    if (res.write(text) || closed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  try {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    await write(`retry: 2000\n: after ${last}\n\n`);
    while (!closed) {
      dirty = false;
      const end = source.finished ? await source.finished() : undefined;
      for (;;) {
        const items = await source.read(last, PAGE);
        for (const item of items) {
          if (closed) break;
          if (item.id <= last) continue;
          await write(frame(item, opts.mask));
          last = item.id;
        }
        if (closed || items.length < PAGE) break;
      }
      if (closed) break;
      if (end !== undefined) {
        // The end repeats the last id: a client that resumes from it is told the end again.
        await write(frame({ id: last, event: 'end', data: end }, opts.mask));
        res.end();
        break;
      }
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    open--;
    clearInterval(poll);
    clearInterval(heartbeat);
    unwatch();
    res.off('close', onClose);
  }
  return STREAMED;
};

/** The event log (the audit trail), or one subject's part of it: `event` events, id = the event's seq. */
export const eventSource = (store: Store, bus: Bus, subject?: string): SseSource => ({
  read: async (after, limit) => (await store.listEvents({ subject, afterSeq: after, limit })).map((e) => ({ id: e.seq, event: 'event', data: e })),
  watch: (wake) => bus.subscribe((n) => void (n.type === 'event' && (subject === undefined || n.event.subject === subject) && wake())),
});

/** A run's log: `log` events (id = the line's number in the run), then `end` with the finished run. */
export const runLogSource = (store: Store, bus: Bus, runId: string): SseSource => ({
  read: async (after, limit) => (await store.readLogs(runId, after, limit)).map((line) => ({ id: line.seq, event: 'log', data: line })),
  watch: (wake) => bus.subscribe((n) => void (((n.type === 'log' && n.line.runId === runId) || ((n.type === 'run' || n.type === 'step') && n.runId === runId)) && wake())),
  finished: async () => {
    const run = await store.getRun(runId);
    return run && isRunFinished(run.status) ? { run, steps: await store.getSteps(runId) } : undefined;
  },
});

/**
 * A deployment's progress: its events (`event`, id = the event's seq), then `end` with the
 * deployment once it is finished. A held deployment is not finished: the stream stays open until
 * someone decides.
 */
export const deploymentSource = (store: Store, bus: Bus, id: string): SseSource => ({
  ...eventSource(store, bus, id),
  finished: async () => {
    const d = await store.getDeployment(id);
    return d?.finishedAt ? { deployment: d } : undefined;
  },
});
