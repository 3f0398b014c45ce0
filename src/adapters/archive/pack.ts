// Writes a deterministic tar of a set of paths: the same tree gives the same bytes whatever its
// files' mtimes, owners, umask or creation order. Streamed: files over 1 MiB are copied in 1 MiB
// chunks and at most 32 small files are read ahead, so a large node_modules packs in bounded memory.
//
// The rule: entries sorted by path (byte order), directories listed explicitly, mtime fixed to
// `options.mtime` (default 0; pass SOURCE_DATE_EPOCH or the commit time to choose another),
// uid/gid 0, empty uname/gname, modes 0644 (files), 0755 (executables, directories) and 0777
// (links). The output is an uncompressed tar on purpose: deflate output is not guaranteed to be
// identical across zlib builds (Node bundles Chromium's zlib, whose SIMD paths may choose
// different matches), and the digest must never change for the same tree.

import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { digestOf } from '../../core/artifact/digest.js';
import type { ArtifactManifest, ManifestEntry } from '../../core/artifact/manifest.js';
import { SlipwayError } from '../../core/errors.js';
import { KEY_FILE_HEADER } from '../../core/secrets/records.js';
import { collectEntries, type Collected } from './collect.js';
import { BLOCK, entryHeaders, paddingFor } from './tar-format.js';

export interface PackOptions {
  /** The mtime every entry carries, in whole seconds since the epoch; default 0. */
  mtime?: number;
  /** Entries below a listed directory to leave out (see collectEntries); none by default. */
  leaveOut?: (path: string, type: 'file' | 'dir' | 'symlink') => boolean;
}

/** What a pack produced: the archive's digest and size, and the manifest of its entries. */
export type PackResult = ArtifactManifest;

const KEY_MARK = Buffer.from(KEY_FILE_HEADER);
const CHUNK = 1 << 20;
/** Files up to this size are read whole, ahead of writing. */
const SMALL = 1 << 20;
/** How many entries ahead small files are read. */
const READ_AHEAD = 32;

/**
 * Packs `paths` (files or directories relative to `root`; a directory brings everything below it)
 * into a tar at `outFile` (overwritten). Throws `SlipwayError('config')` naming a path that is
 * missing or escapes the root, and `SlipwayError('failed')` if a file changes while it is read.
 *
 * @example await packDeterministic('/build', ['dist', 'package.json'], '/tmp/app.tar')
 */
export async function packDeterministic(root: string, paths: readonly string[], outFile: string, options: PackOptions = {}): Promise<PackResult> {
  const mtime = options.mtime ?? 0;
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime > 0o77777777777) {
    throw new SlipwayError('usage', `archive mtime must be a whole number of seconds ≥ 0, got ${mtime}`);
  }
  const collected = await collectEntries(root, paths, new Set([resolve(outFile)]), options.leaveOut);
  const out = await open(outFile, 'w', 0o644);
  const writer = new HashingWriter(out);
  const entries: ManifestEntry[] = [];
  // Small files are read a few entries ahead while earlier ones are written: one file at a time
  // leaves the disk idle between round trips (a tree of small files packed 10x slower that way).
  const ahead = new Map<number, Promise<Loaded>>();
  let next = 0;
  try {
    for (const [i, c] of collected.entries()) {
      for (; next < collected.length && next <= i + READ_AHEAD; next++) {
        const n = collected[next] as Collected;
        if (n.type !== 'file' || n.size > SMALL) continue;
        const load = loadSmall(n);
        load.catch(() => undefined); // awaited in turn below; this only keeps an early failure from being "unhandled"
        ahead.set(next, load);
      }
      const loaded = ahead.get(i);
      ahead.delete(i);
      entries.push(await writeEntry(writer, c, mtime, loaded));
    }
    await writer.write(Buffer.alloc(2 * BLOCK));
    await writer.flush();
  } catch (e) {
    await out.close();
    await rm(outFile, { force: true });
    throw e;
  }
  await out.close();
  return {
    digest: digestOf(writer.hash.digest('hex')),
    size: writer.size,
    files: entries.filter((e) => e.type === 'file').length,
    entries,
  };
}

async function writeEntry(w: HashingWriter, c: Collected, mtime: number, loaded?: Promise<Loaded>): Promise<ManifestEntry> {
  switch (c.type) {
    case 'dir':
      for (const b of entryHeaders({ name: `${c.path}/`, mode: 0o755, size: 0, mtime, typeflag: '5' })) await w.write(b);
      return { path: c.path, type: 'dir', size: 0, mode: 0o755 };
    case 'symlink': {
      const target = c.target ?? '';
      for (const b of entryHeaders({ name: c.path, mode: 0o777, size: 0, mtime, typeflag: '2', linkname: target })) await w.write(b);
      return { path: c.path, type: 'symlink', size: 0, mode: 0o777, target };
    }
    case 'file': {
      const small = loaded === undefined ? undefined : await loaded;
      if (small?.kind !== 'small') return writeLargeFile(w, c, mtime);
      if (small.data.subarray(0, KEY_MARK.length).equals(KEY_MARK)) {
        throw new SlipwayError('refused', `cannot pack "${c.path}": it is a Slipway master key file`, 'keep key files out of the build directory; a master key never goes into an artifact');
      }
      const mode = c.exec ? 0o755 : 0o644;
      for (const b of entryHeaders({ name: c.path, mode, size: small.data.length, mtime, typeflag: '0' })) await w.write(b);
      await w.write(small.data);
      await w.write(Buffer.alloc(paddingFor(small.data.length)));
      return { path: c.path, type: 'file', size: small.data.length, mode, sha256: createHash('sha256').update(small.data).digest('hex') };
    }
  }
}

type Loaded = { kind: 'small'; data: Buffer } | { kind: 'large' };

/** Reads a whole small file, failing if it changes size while read; `large` if it grew past SMALL. */
async function loadSmall(c: Collected): Promise<Loaded> {
  const fh = await open(c.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const size = (await fh.stat()).size;
    if (size > SMALL) return { kind: 'large' };
    // One byte more than expected: reading it means the file grew.
    const buf = Buffer.allocUnsafe(size + 1);
    let got = 0;
    while (got <= size) {
      const { bytesRead } = await fh.read(buf, got, size + 1 - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got !== size) throw changed(c.path);
    return { kind: 'small', data: buf.subarray(0, size) };
  } finally {
    await fh.close();
  }
}

async function writeLargeFile(w: HashingWriter, c: Collected, mtime: number): Promise<ManifestEntry> {
  const mode = c.exec ? 0o755 : 0o644;
  // O_NOFOLLOW: if the file was swapped for a link since it was listed, fail rather than follow.
  const fh = await open(c.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const size = (await fh.stat()).size;
    for (const b of entryHeaders({ name: c.path, mode, size, mtime, typeflag: '0' })) await w.write(b);
    const hash = createHash('sha256');
    let pos = 0;
    while (pos < size) {
      const want = Math.min(CHUNK, size - pos);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) throw changed(c.path);
      const chunk = buf.subarray(0, bytesRead);
      hash.update(chunk);
      await w.write(chunk);
      pos += bytesRead;
    }
    if ((await fh.read(Buffer.alloc(1), 0, 1, pos)).bytesRead !== 0) throw changed(c.path);
    await w.write(Buffer.alloc(paddingFor(size)));
    return { path: c.path, type: 'file', size, mode, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}

const changed = (path: string): SlipwayError =>
  new SlipwayError('failed', `file "${path}" changed while it was being packed`, 'make sure nothing writes to the build directory during packing');

/** Buffers small writes into large ones and hashes everything that goes through. */
class HashingWriter {
  readonly hash: Hash = createHash('sha256');
  size = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly out: FileHandle) {}

  async write(buf: Buffer): Promise<void> {
    if (buf.length === 0) return;
    this.hash.update(buf);
    this.size += buf.length;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    const data = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < data.length) off += (await this.out.write(data, off, data.length - off)).bytesWritten;
  }
}
