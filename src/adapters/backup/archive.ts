// The bytes of a backup: a plain tar (the headers of adapters/archive) whose first entry is the
// manifest, then every entry it lists. Written to a temp file beside the target (mode 0600) and
// renamed into place, so a reader sees no archive or a whole one; read back entry by entry, each
// hashed as it streams and compared with the manifest before anything is trusted.

import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BACKUP_FORMAT_VERSION, MANIFEST_ENTRY, checkEntry, missingEntries, parseBackupManifest, type BackupEntry, type BackupManifest } from '../../core/backup/manifest.js';
import { canonicalJson } from '../../core/canonical-json.js';
import { SlipwayError } from '../../core/errors.js';
import { VERSION } from '../../version.js';
import { walkArchive } from '../archive/read.js';
import { BLOCK, entryHeaders, paddingFor } from '../archive/tar-format.js';

const CHUNK = 1 << 20;
/** Largest manifest read: a million artifacts list in well under this. */
const MAX_MANIFEST = 64 << 20;

/** One entry to write: its bytes in memory, or a file (hashed before, and again while written). */
export type EntrySource = { name: string; kind: BackupEntry['kind']; data: Buffer } | { name: string; kind: BackupEntry['kind']; file: string };

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    let size = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, size);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}

/** The manifest entry of each source: its size and digest. */
export async function describeEntries(sources: readonly EntrySource[]): Promise<BackupEntry[]> {
  const out: BackupEntry[] = [];
  for (const s of sources) {
    const d = 'data' in s ? { size: s.data.length, sha256: sha256(s.data) } : await hashFile(s.file);
    out.push({ name: s.name, kind: s.kind, ...d });
  }
  return out;
}

/** Writes the archive to `target` atomically (temp file in the same folder, fsync, rename, fsync of the folder). */
export async function writeBackupArchive(target: string, manifest: BackupManifest, sources: readonly EntrySource[]): Promise<number> {
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const out = await open(temp, 'wx', 0o600);
  const w = new Writer(out);
  const mtime = Math.floor(Date.parse(manifest.createdAt) / 1000);
  try {
    await w.entry(MANIFEST_ENTRY, Buffer.from(`${JSON.stringify(JSON.parse(canonicalJson(manifest)), null, 2)}\n`), mtime);
    for (const [i, s] of sources.entries()) {
      const listed = manifest.entries[i] as BackupEntry;
      if ('data' in s) await w.entry(s.name, s.data, mtime);
      else await w.fileEntry(s.name, s.file, listed, mtime);
    }
    await w.write(Buffer.alloc(2 * BLOCK));
    await w.flush();
    await out.sync();
    await out.close();
  } catch (e) {
    await out.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw e;
  }
  try {
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw new SlipwayError('failed', `cannot write the backup ${target}: ${(e as Error).message}`);
  }
  const dir = await open(dirname(target), 'r');
  await dir.sync().finally(() => dir.close());
  return w.size;
}

class Writer {
  size = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly out: FileHandle) {}

  async entry(name: string, data: Buffer, mtime: number): Promise<void> {
    for (const b of entryHeaders({ name, mode: 0o600, size: data.length, mtime, typeflag: '0' })) await this.write(b);
    await this.write(data);
    await this.write(Buffer.alloc(paddingFor(data.length)));
  }

  /** Streams a file, checking that its bytes are still the ones the manifest lists. */
  async fileEntry(name: string, file: string, listed: BackupEntry, mtime: number): Promise<void> {
    const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      for (const b of entryHeaders({ name, mode: 0o600, size: listed.size, mtime, typeflag: '0' })) await this.write(b);
      const hash = createHash('sha256');
      let pos = 0;
      while (pos < listed.size) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, listed.size - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        await this.write(chunk);
        pos += bytesRead;
      }
      const grew = (await fh.read(Buffer.alloc(1), 0, 1, pos)).bytesRead !== 0;
      if (pos !== listed.size || grew || hash.digest('hex') !== listed.sha256) {
        throw new SlipwayError('failed', `${name} changed while the backup was written; nothing was written`, 'run the backup again');
      }
      await this.write(Buffer.alloc(paddingFor(listed.size)));
    } finally {
      await fh.close();
    }
  }

  async write(buf: Buffer): Promise<void> {
    if (buf.length === 0) return;
    this.size += buf.length;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < data.length) off += (await this.out.write(data, off, data.length - off)).bytesWritten;
  }
}

export interface ReadOptions {
  /** Writes every entry under this folder (its name as the relative path, mode 0600) as it is checked. */
  extractTo?: string;
  /** Entries kept in memory as well (small ones: the sealed master key). */
  keep?: (name: string) => boolean;
  /** Called with the manifest as soon as it is read, before any other entry: may refuse the archive. */
  onManifest?: (m: BackupManifest) => void;
}

export interface ReadResult {
  manifest: BackupManifest;
  /** Bytes of the archive file. */
  bytes: number;
  kept: Map<string, Buffer>;
}

const damaged = (file: string, what: string): SlipwayError =>
  new SlipwayError('corrupt', `the backup ${file} is damaged: ${what}; nothing was restored`, 'use another copy of the backup, or take a new one with `slipway backup`');

/**
 * Reads a backup, checking every entry against the manifest: the manifest first (refused when its
 * format is newer than this Slipway reads), then each entry's size and sha256, then that none is
 * missing. A truncated file, an entry that is not listed or whose digest differs is a `corrupt`
 * error naming the entry.
 */
export async function readBackupArchive(file: string, opts: ReadOptions = {}): Promise<ReadResult> {
  let manifest: BackupManifest | undefined;
  const seen = new Set<string>();
  const kept = new Map<string, Buffer>();
  let bytes = 0;
  /** Where the last entry's data ends: the two zero blocks that end the archive follow. */
  let end = 0;
  try {
    const fh = await open(file, 'r');
    bytes = (await fh.stat()).size;
    await fh.close();
  } catch (e) {
    throw new SlipwayError('not_found', `cannot read the backup ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    await walkArchive(file, async (entry, readData) => {
      end = entry.dataOffset + entry.size + paddingFor(entry.size);
      if (entry.typeflag !== '0') throw damaged(file, `entry "${entry.name.slice(0, 120)}" is not a regular file`);
      if (manifest === undefined) {
        if (entry.name !== MANIFEST_ENTRY) throw damaged(file, `its first entry is "${entry.name.slice(0, 120)}", not ${MANIFEST_ENTRY} (not a Slipway backup?)`);
        if (entry.size > MAX_MANIFEST) throw damaged(file, `its manifest is ${entry.size} bytes long`);
        const chunks: Buffer[] = [];
        await readData((c) => void chunks.push(c));
        let raw: unknown;
        try {
          raw = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          throw damaged(file, 'its manifest is not valid JSON');
        }
        const parsed = parseBackupManifest(raw, VERSION);
        if (!parsed.ok) {
          const newer = typeof (raw as { formatVersion?: unknown }).formatVersion === 'number' && (raw as { formatVersion: number }).formatVersion > BACKUP_FORMAT_VERSION;
          throw new SlipwayError(newer ? 'refused' : 'corrupt', `cannot read the backup ${file}: ${parsed.message}; nothing was restored`, newer ? 'restore it with that Slipway version or a newer one' : undefined);
        }
        manifest = parsed.value;
        opts.onManifest?.(manifest);
        return;
      }
      const m = manifest;
      if (seen.has(entry.name)) throw damaged(file, `entry "${entry.name.slice(0, 120)}" appears twice`);
      const listed = m.entries.find((e) => e.name === entry.name);
      if (listed === undefined) throw damaged(file, `entry "${entry.name.slice(0, 120)}" is not listed in its manifest`);
      const hash = createHash('sha256');
      const keep = opts.keep?.(entry.name) === true ? ([] as Buffer[]) : undefined;
      let out: FileHandle | undefined;
      if (opts.extractTo !== undefined) {
        const dest = join(opts.extractTo, listed.name);
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        out = await open(dest, 'wx', 0o600);
      }
      try {
        await readData(async (c) => {
          hash.update(c);
          keep?.push(c);
          if (out !== undefined) {
            let off = 0;
            while (off < c.length) off += (await out.write(c, off, c.length - off)).bytesWritten;
          }
        });
      } finally {
        await out?.close();
      }
      const verdict = checkEntry(m, { name: entry.name, size: entry.size, sha256: hash.digest('hex') });
      if (!verdict.ok) throw damaged(file, verdict.message);
      if (keep !== undefined) kept.set(entry.name, Buffer.concat(keep));
      seen.add(entry.name);
    });
  } catch (e) {
    const prefix = `archive ${file} is corrupt `;
    if (e instanceof SlipwayError && e.code === 'corrupt' && e.message.startsWith(prefix)) {
      const what = e.message.slice(prefix.length);
      throw damaged(file, /truncated/.test(what) || !/past the end/.test(what) ? what : `${what} (truncated?)`);
    }
    if (e instanceof SlipwayError && e.code === 'corrupt' && e.message.startsWith('archive ended early')) throw damaged(file, 'it ends early (truncated?)');
    throw e;
  }
  if (manifest === undefined) throw damaged(file, 'it holds no manifest');
  if (bytes < end + 2 * BLOCK) throw damaged(file, 'its end-of-archive marker is cut short (truncated?)');
  const missing = missingEntries(manifest, seen);
  if (missing.length > 0) throw damaged(file, `it lacks ${missing.length} entr${missing.length === 1 ? 'y' : 'ies'} its manifest lists (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); truncated?`);
  return { manifest, bytes, kept };
}
