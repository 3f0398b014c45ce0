// Error lines in the output of a release's instances, as a verification provider. Reads only the
// bytes appended since the last call (offsets kept per file, handed out as a JSON cursor so that
// a restarted control plane neither re-reads nor double-counts), and counts the lines written at
// or after the window start whose text looks like an error.

import { open } from 'node:fs/promises';
import type { EventCount, EventCounter, Measurement } from '../../ports/metrics.js';

/**
 * What counts as an error line, on the app's `out` and `err` streams alike (many apps log errors
 * to stdout): the words error, fatal, exception, uncaught or panic on their own (any case), or a
 * class name ending in Error or Exception (`TypeError`, `NullPointerException`). Not matched:
 * `errors`, `error_rate`, `0 errors` — words that only contain the word.
 */
export const ERROR_WORDS = /\b(?:error|fatal|exception|uncaught|panic)\b/i;
export const ERROR_CLASSES = /[a-z](?:Error|Exception)\b/;

export const isErrorText = (text: string): boolean => ERROR_WORDS.test(text) || ERROR_CLASSES.test(text);

/** `<ISO time> <stream> <text>`, as the runtime shim writes each line of an instance log. */
const LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) (out|err|slipway) (.*)$/;

/** The state of one log file: where the next read starts, and what was counted before it. */
interface FileCursor {
  offset: number;
  count: number;
  firstAt?: number;
}

export interface LogCursor {
  since: number;
  files: Record<string, FileCursor>;
}

export interface LogErrorsOptions {
  /** The release's instances now (a function: instances come and go); each has its log file path. */
  instances: () => ReadonlyArray<{ log: string }>;
  /** ms since the epoch: earlier lines are not counted. Ignored when resuming from a cursor. */
  since: number;
  /** Replaces the default error test. */
  isError?: (text: string) => boolean;
  /** Resume from a cursor handed out before. */
  cursor?: LogCursor;
}

/** Most bytes read per file per call, so a huge backlog is spread over several looks. */
const MAX_READ = 8 * 1024 * 1024;

/**
 * An EventCounter of error lines in instance logs.
 * @example
 *   const logs = logErrorsProvider({ instances: () => runtime.list('production', 3), since: windowStart });
 *   await logs.count() // { ok: true, value: { count: 2, firstAt: 1767225601234 } }
 */
export function logErrorsProvider(opts: LogErrorsOptions): EventCounter<LogCursor> {
  const since = opts.cursor?.since ?? opts.since;
  const files = new Map<string, FileCursor>(Object.entries(opts.cursor?.files ?? {}).map(([k, v]) => [k, { ...v }]));
  const test = opts.isError ?? isErrorText;

  const countLines = (text: string, fc: FileCursor): void => {
    for (const line of text.split('\n')) {
      const m = LINE.exec(line);
      // Lines not written by the shim (no time, or its own notes) say nothing about the app.
      if (!m || m[2] === 'slipway') continue;
      const at = Date.parse(m[1] ?? '');
      if (!(at >= since) || !test(m[3] ?? '')) continue;
      fc.count++;
      fc.firstAt = fc.firstAt === undefined ? at : Math.min(fc.firstAt, at);
    }
  };

  const readNew = async (path: string): Promise<void> => {
    const fc = files.get(path) ?? { offset: 0, count: 0 };
    files.set(path, fc);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // not written yet
      throw err;
    }
    try {
      const { size } = await handle.stat();
      // A file shorter than what was read was rotated (retention.log_max_bytes): what was written
      // after the last read is at the end of `FILE.1`; then the new file is read from its start.
      if (size < fc.offset) {
        await readRest(`${path}.1`, fc);
        fc.offset = 0;
      }
      const length = Math.min(size - fc.offset, MAX_READ);
      if (length <= 0) return;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, fc.offset);
      // Only whole lines: the offset stops after the last newline, so a line being written is
      // read complete next time.
      const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (end < 0) {
        // One line longer than a whole read: skip it rather than wait for it forever.
        if (bytesRead === MAX_READ) fc.offset += bytesRead;
        return;
      }
      countLines(buf.subarray(0, end).toString('utf8'), fc);
      fc.offset += end + 1;
    } finally {
      await handle.close();
    }
  };

  /** The lines of a rotated file after the offset read in it before its rotation. */
  const readRest = async (rotated: string, fc: FileCursor): Promise<void> => {
    const handle = await open(rotated, 'r').catch(() => null);
    if (handle === null) return;
    try {
      const { size } = await handle.stat();
      const length = Math.min(size - fc.offset, MAX_READ);
      if (length <= 0) return;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, fc.offset);
      countLines(buf.subarray(0, bytesRead).toString('utf8'), fc);
    } finally {
      await handle.close();
    }
  };

  return {
    async count(): Promise<Measurement<EventCount>> {
      try {
        for (const { log } of opts.instances()) await readNew(log);
      } catch (err) {
        return { ok: false, error: `instance logs could not be read: ${err instanceof Error ? err.message : String(err)}` };
      }
      let count = 0;
      let firstAt: number | undefined;
      for (const fc of files.values()) {
        count += fc.count;
        if (fc.firstAt !== undefined) firstAt = firstAt === undefined ? fc.firstAt : Math.min(firstAt, fc.firstAt);
      }
      return { ok: true, value: firstAt === undefined ? { count } : { count, firstAt } };
    },
    cursor: () => ({ since, files: Object.fromEntries([...files].map(([k, v]) => [k, { ...v }])) }),
    close: () => undefined,
  };
}
