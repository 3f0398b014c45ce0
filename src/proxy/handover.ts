// Replacing the proxy process without closing its ports (REFERENCE.md): the old process forks the
// new one and hands it each listening socket over IPC; once the new one listens and says it is
// ready, the old one stops accepting and drains. Both sides of that conversation live here.

import { fork } from 'node:child_process';
import type http from 'node:http';
import type net from 'node:net';
import type { ExportedEnvStats } from './envs.js';

/** Messages of the hand-over, in order: hello ←, stats →, listener* →, done →, ready ←. */
export type HandoverMessage =
  | { type: 'hello' }
  | { type: 'stats'; stats: ExportedEnvStats }
  | { type: 'listener'; env: string | null }
  | { type: 'done' }
  | { type: 'ready'; pid: number }
  | { type: 'failed'; message: string };

export const HANDOVER_FLAG = '--handover';
/** Longest wait for the successor to start and report ready. */
const STEP_TIMEOUT_MS = 15_000;

export interface HandoverSource {
  daemonScript: string;
  home: string;
  stats: () => ExportedEnvStats;
  servers: () => Map<string, net.Server>;
  admin: http.Server;
  /** The admin socket the successor serves too (it listens on the path anew). */
  adminSocket?: string;
}

export type HandoverResult = { ok: true; pid: number } | { ok: false; message: string };

/**
 * Old side: starts the successor and hands it every listening socket. On success the successor is
 * serving (alongside this process, on the same sockets) and detached from this one; the caller then
 * drains. On failure the successor is killed and nothing has changed here.
 */
export async function handOver(src: HandoverSource): Promise<HandoverResult> {
  const child = fork(src.daemonScript, ['--home', src.home, HANDOVER_FLAG, ...(src.adminSocket === undefined ? [] : ['--admin-socket', src.adminSocket])], {
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: HandoverMessage[] = [];
  let wake: (() => void) | null = null;
  let exited: string | null = null;
  child.on('message', (m: HandoverMessage) => {
    messages.push(m);
    wake?.();
  });
  child.on('exit', (code, signal) => {
    exited = `the new proxy process exited (${signal ?? `code ${code}`}) before it was ready`;
    wake?.();
  });
  child.on('error', (err) => {
    exited = `the new proxy process could not start: ${err.message}`;
    wake?.();
  });
  const next = async (type: 'hello' | 'ready'): Promise<HandoverMessage> => {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const m = messages.shift();
      if (m) return m.type === type || m.type === 'failed' ? m : next(type);
      if (exited) return { type: 'failed', message: exited };
      const left = deadline - Date.now();
      if (left <= 0) return { type: 'failed', message: `the new proxy process did not answer ${type} in ${STEP_TIMEOUT_MS} ms` };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
    }
  };
  const fail = (message: string): HandoverResult => {
    child.kill('SIGKILL');
    return { ok: false, message };
  };
  const hello = await next('hello');
  if (hello.type === 'failed') return fail(hello.message);
  try {
    await send(child, { type: 'stats', stats: src.stats() });
    for (const [env, server] of src.servers()) await send(child, { type: 'listener', env }, server);
    await send(child, { type: 'listener', env: null }, src.admin);
    await send(child, { type: 'done' });
  } catch (err) {
    return fail(`could not hand the sockets over: ${(err as Error).message}`);
  }
  const ready = await next('ready');
  if (ready.type !== 'ready') return fail(ready.type === 'failed' ? ready.message : 'unexpected message');
  child.removeAllListeners();
  child.disconnect();
  child.unref();
  return { ok: true, pid: ready.pid };
}

function send(child: ReturnType<typeof fork>, msg: HandoverMessage, handle?: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    child.send(msg, handle, (err) => (err ? reject(err) : resolve()));
  });
}

/** What the new side does with each piece, called as it arrives (synchronously: see below). */
export interface HandoverSink {
  stats(stats: ExportedEnvStats): void;
  /**
   * A listening socket (`env` null: the admin API's). Node has already started accepting on it in
   * this process when this runs, so the sink must attach its server before returning: connections
   * are only accepted on a later turn of the event loop, and none is lost in between.
   */
  listener(env: string | null, handle: net.Server): void;
}

/** New side: says hello, feeds the stats and sockets to `sink`, resolves at `done`. */
export function receiveHandover(sink: HandoverSink): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: HandoverMessage, handle: unknown) => {
      if (m.type === 'stats') sink.stats(m.stats);
      else if (m.type === 'listener' && handle) sink.listener(m.env, handle as net.Server);
      else if (m.type === 'done') {
        process.off('message', onMessage);
        resolve();
      }
    };
    if (!process.send) {
      reject(new Error(`${HANDOVER_FLAG} is for a proxy started by its predecessor`));
      return;
    }
    process.on('message', onMessage);
    tell({ type: 'hello' });
  });
}

/** Sends a hand-over message to the predecessor, if there is still one to tell. */
export function tell(msg: HandoverMessage): void {
  if (process.connected) process.send?.(msg);
}
