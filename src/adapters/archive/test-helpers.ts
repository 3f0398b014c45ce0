// Helpers for the archive tests: temp directories and hand-made tar files.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK, encodeHeader, encodePaxRecords, paddingFor, type HeaderFields } from './tar-format.js';

/** A fresh temp directory and a function that removes it. */
export function tempDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface HandEntry extends Partial<HeaderFields> {
  name: string;
  data?: string | Buffer;
  /** PAX records to put before this entry. */
  pax?: [string, string][];
}

/** Builds a tar by hand, header by header, for archives Slipway's writer would never produce. */
export function handTar(entries: HandEntry[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.pax !== undefined) {
      const body = encodePaxRecords(e.pax);
      parts.push(encodeHeader({ name: 'PaxHeaders/x', mode: 0o644, size: body.length, mtime: 0, typeflag: 'x' }));
      parts.push(body, Buffer.alloc(paddingFor(body.length)));
    }
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    parts.push(
      encodeHeader({
        name: e.name,
        mode: e.mode ?? 0o644,
        size: e.size ?? data.length,
        mtime: e.mtime ?? 0,
        typeflag: e.typeflag ?? '0',
        linkname: e.linkname ?? '',
      }),
    );
    parts.push(data, Buffer.alloc(paddingFor(data.length)));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
