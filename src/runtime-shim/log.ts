// The instance log: the app's output, masked, one line per record prefixed with an ISO time and its
// stream (`out`, `err`, or `slipway` for the shim's own notes), appended to the instance's log file.

import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { rotateByRename } from '../adapters/retention/rotate.js';
import { StringDecoder } from 'node:string_decoder';
import type { Masker } from './mask.js';

/** How many of the last lines are kept for crash reports. */
export const LAST_LINES = 20;

export type LogStreamName = 'out' | 'err';

export interface LineSink {
  push(chunk: Buffer): void;
  /** Flushes a partial last line and what the masker held back. */
  end(): void;
}

export interface InstanceLog {
  /** A sink for one of the app's output streams (one per app process). */
  sink(name: LogStreamName): LineSink;
  /** The shim's own note, masked like the app's output. */
  note(text: string): void;
  lastLines(): string[];
  close(): void;
}

/**
 * Opens `file` for appending (created 0600: logs may hold what the app printed). Writes are
 * synchronous so that a crash's last lines are on disk before the crash is recorded. With
 * `maxBytes`, the line that takes the file to that size or beyond is followed by a rotation
 * (`file` → `file.1`, older ones shifted: adapters/retention/rotate.ts) and a new `file`, so a
 * file outgrows the size by at most one line, however much output arrives at once.
 */
export function openInstanceLog(file: string, masker: Masker, opts: { maxBytes?: number } = {}): InstanceLog {
  let fd = openSync(file, 'a', 0o600);
  let size = fstatSync(fd).size;
  const rotate = (): void => {
    try {
      rotateByRename(file);
      const next = openSync(file, 'a', 0o600);
      closeSync(fd);
      fd = next;
      size = 0;
    } catch {
      // Not rotated (a full disk, a file moved away): the lines keep going to the file as it is.
    }
  };
  const last: string[] = [];
  const write = (name: string, lines: string[]): void => {
    if (lines.length === 0) return;
    const at = new Date().toISOString();
    for (const l of lines) {
      last.push(name === 'slipway' ? `slipway: ${l}` : l);
      if (last.length > LAST_LINES) last.shift();
    }
    // Lines are written in batches that end where the file reaches `maxBytes`, then it rotates: a
    // burst of output in one chunk takes no file past the size by more than its last line.
    let batch = '';
    const flush = (): void => {
      try {
        size += writeSync(fd, batch);
      } catch {
        // A full disk must not take the app down with it: the lines are lost, the app keeps running.
      }
      batch = '';
    };
    for (const l of lines) {
      batch += `${at} ${name} ${l}\n`;
      if (opts.maxBytes !== undefined && size + Buffer.byteLength(batch) >= opts.maxBytes) {
        flush();
        if (size >= opts.maxBytes) rotate();
      }
    }
    if (batch !== '') flush();
  };
  return {
    sink(name) {
      const decoder = new StringDecoder('utf8');
      const masking = masker.stream();
      let partial = '';
      const take = (text: string, final: boolean): void => {
        const parts = (partial + text).split('\n');
        partial = final ? '' : (parts.pop() ?? '');
        const lines = parts.map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p));
        write(name, final && lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines);
      };
      return {
        push: (chunk) => take(masking.push(decoder.write(chunk)), false),
        end: () => take(masking.push(decoder.end()) + masking.end(), true),
      };
    },
    note: (text) => write('slipway', masker.mask(text).split('\n')),
    lastLines: () => [...last],
    close: () => closeSync(fd),
  };
}
